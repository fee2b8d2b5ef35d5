"""Writes the .npy fixtures of src/io/npy.test.ts with NumPy itself (run with /usr/bin/python3)."""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'npy')
os.makedirs(out, exist_ok=True)
np.save(os.path.join(out, 'f32_2x3.npy'), np.arange(6, dtype='<f4').reshape(2, 3) / 4 - 0.5)
np.save(os.path.join(out, 'f16.npy'), np.array([0.5, -1.0, 65504.0, 6.1e-5], dtype='<f2'))
np.save(os.path.join(out, 'i64.npy'), np.array([[-3], [7]], dtype='<i8'))
np.save(os.path.join(out, 'fortran.npy'), np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)))
np.save(os.path.join(out, 'complex.npy'), np.array([1 + 2j], dtype='<c8'))
