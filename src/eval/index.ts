/** Metrics: SSIM, PSNR, hand and body region metrics, Frechet distances, keypoint accuracy, bootstrap intervals, win rates. */
export type { PixelArray } from './check';
export { type ImageArray, type ImageInput, type ClipDims, toImage } from './image';
export { ssim, ssimMap, ssimFromMap, gaussianWindow, SSIM_WINDOW, SSIM_SIGMA, SSIM_K1, SSIM_K2, SSIM_DATA_RANGE, SSIM_RADIUS } from './ssim';
export { psnr, mse, psnrFromMse, capPsnr, meanPsnr, PSNR_CAP_DB } from './psnr';
export { type Box, checkBox, clipBox, boxArea, handBox, handVisible, LEFT_HAND, RIGHT_HAND, HANDS } from './boxes';
export {
  type SsimMap,
  type RegionSeries,
  type HandSeries,
  type ClipHandMetrics,
  ssimMapOf,
  regionSsim,
  regionPsnr,
  backgroundMask,
  bodyMask,
  FIGURE_BODY_MIN,
  clipHandMetrics,
} from './regions';
export {
  type BootstrapOptions,
  type SeedBootstrapOptions,
  type Interval,
  bootstrapCI,
  pairedBootstrapCI,
  meanCI,
  sampleMean,
  quantileSorted,
  MIN_RESAMPLES,
} from './bootstrap';
export { type SymmetricEigen, symmetricEigen } from './eigen';
export { type FeatureStats, type FrechetOptions, featureStats, frechetFromStats, frechetDistance } from './frechet';
export {
  type HandKeypointMetrics,
  type BodyKeypointMetrics,
  handKeypointMetrics,
  bodyKeypointMetrics,
  KEYPOINT_COUNT,
} from './keypoints';
export { type HandPoseScores, handPoseScores, turnDegrees, TIP_SEEN } from './handpose';
export { type WinRate, type WinRateOptions, winRate } from './winrate';
export { videoDistance, inputDiversity, nearestDistance, handBoxMask } from './diversity';
