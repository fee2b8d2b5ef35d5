/** deepvis for Node: the library plus files, images (sharp) and data sets on disk. */
export * from './index.js';
export { loadModel, saveLayersModel, readModelArtifacts } from './io/model_files.js';
export { writePng, pngBytes } from './io/png.js';
export { figureFiles, figurePng, figureSvgText } from './io/figure_file.js';
export { writeJsonAtomic, writeFileAtomic } from './io/atomic.js';
export { decodeImage } from './io/image.js';
export { loadMnist } from './data/mnist.js';
export { loadFashionMnist, loadIdxPair, parseIdx } from './data/idx.js';
export { loadFolder, folderBatches } from './data/folder.js';
export { loadDataSplit, loadEvalSet } from './data/load.js';
