/** The procedural animation world: skeleton and hands, motions, characters, rasteriser, clips and the stored world. */
export * from './layout';
export { Proportions, HandPose, Pose, Limit, JOINT_LIMITS, HAND_GEOMETRY, Skeleton, forwardKinematics, twoBoneIk, skeletonBones, mirror, wrapAngle } from './skeleton';
export { Identity, Appearance, Background, BackgroundKind, HairStyle, ShirtPattern, makeIdentity } from './character';
export { Difficulty, HandFamily, BodyFamily, MotionFamily, Motion, HAND_FAMILIES, BODY_FAMILIES, FPS, makeMotion, poseAt } from './motion';
export { RGB, Paint, Shader, Shape, Capsule, Ellipse, Polygon, Canvas } from './raster';
export { FrameOptions, RenderedFrame, View, HandShape, FingerChain, HandRedraw, fullView, handShape, renderFrame, renderPoseMap } from './render';
export { Clip, ClipSplit, ClipArray, FrameDefects, CLIP_ARRAYS, MIN_SIZE, MAX_SIZE, makeClip, clipView, clipDifficulty, identityId, motionId, validateWorld } from './clip';
export {
  World, WorldManifest, WorldFile, ClipMeta, SplitData, SplitField, BuildWorldOptions, BuildWorldResult, SPLIT_FIELDS, WORLD_FORMAT_VERSION,
  buildWorld, loadWorld, getClip, worldFileName,
} from './store';
export { HandBoxRow, HandShareRow as ClipHandShare, MotionSpeedRow, handBoxStats, handShareStats, motionSpeedStats } from './stats';
export { benchWorldBuild } from './bench';
export { HandDefects, ClipDefects, DefectiveClip, DefectMode, DefectModeName, ResolvedDefects, DEFECT_MODES, DEFECT_MODE_NAMES, NO_HAND_DEFECTS, handDefects, clipDefects, activeMode, defectShare, modeShares, hasDefect, makePretrainClip, applyHandDefects } from './defects';
export { ExportOptions, ExportHeader, exportClips } from './export';
