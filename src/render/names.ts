/** A layer (or any) name as a file-name part: graph node names carry '/' and ':'. Shared by the CLI (writing) and the web app (finding report files). */
export function fileStem(name: string): string {
  return name.replace(/[^\w.+-]+/g, '_');
}

/**
 * An input's name as a file-name part: a file path gives its stem ("photos/cat 1.jpg" → "cat_1"),
 * not the whole path with '/' turned into '_' and the extension kept; DATASET:INDEX stays readable
 * ("mnist:3" → "mnist_3").
 */
export function inputStem(input: string): string {
  const base = input.replace(/^.*[\\/]/, '');
  const stem = /\.(png|jpe?g|webp|gif|tiff?|bmp|avif)$/i.test(base) ? base.replace(/\.[^.]+$/, '') : base;
  return fileStem(stem || input);
}
