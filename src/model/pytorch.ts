/** What deepvis says about a PyTorch checkpoint (.pt/.pth, or torch.save's zip under any name). */
import { DeepvisError } from '../errors.js';

/** A PyTorch checkpoint holds weights (and pickled code), not a graph deepvis can run: the one line that says what to do. */
export const pytorchCheckpoint = (source: string): DeepvisError =>
  new DeepvisError(
    `${source}: a PyTorch checkpoint, which holds weights but no graph deepvis can run; export it with torch.onnx.export(model, example_input, "model.onnx") (see the README, "Your own model") and pass the .onnx`,
  );
