/** The perception network: keypoints (stand-in for DWPose) and features for FD-frame / FD-clip (stand-ins for FID-VID / FVD). */
export { type PerceptionConfig, validatePerceptionConfig, perceptionTokens, handTokens, featureDim } from './config';
export {
  type PerceptionParams, type PerceptionOutput, type HandCrop,
  GLOBAL_KEYPOINTS, centreIndex, initPerceptionParams, globalForward, handForward, patchRows, handCropRows, handCropAt, toCropX, fromCropX,
} from './net';
export { type KeypointFrames, type PerceptionBatch, trainingBatch, renderSplit, handCentre } from './data';
export { type PerceptionLoss, perceptionLoss } from './loss';
export { type Perception, type Perceived, PERCEIVE_BATCH, loadPerception, perceptionFromWeights, disposePerception, perceive, clipFeatures } from './perceive';
export { type PerceptionAccuracy, perceptionAccuracy } from './accuracy';
export {
  type TrainPerceptionArgs, type TrainPerceptionResult, type PerceptionTrainMetrics, type PerceptionEvalSplit,
  PERCEPTION_EVAL_SPLITS, trainPerception, perceptionDataId,
} from './train';
