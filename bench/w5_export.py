"""Exports the very network the yardstick's torch_bench.py times (its imagenet_net: torchvision's
model, seed 0, ImageNet normalization folded in) as ONNX at opset 17, for when its own --export
fails: PyTorch 1.13 exports a frozen ViT through the fast-path kernel aten::_native_multi_head_attention,
which has no ONNX symbolic. The weights are only marked as requiring gradients during the export (the
fast path is then off); their values are the yardstick's.

    /usr/bin/python3 bench/w5_export.py PATH/torch_bench.py vit_b_16 OUT.onnx
"""
import importlib.util
import sys

import torch

script, kind, out = sys.argv[1:4]
spec = importlib.util.spec_from_file_location('torch_bench', script)
tb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tb)
model = tb.imagenet_net(kind)
for p in model.parameters():
    p.requires_grad_(True)
torch.onnx.export(model, torch.zeros(1, 3, 224, 224), out, opset_version=17, input_names=['input'],
                  output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
print(out)
