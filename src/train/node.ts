// Node-only public face of src/train: the training loop and checkpoints (files).
export {
  type CheckpointMeta,
  checkpointName,
  listCheckpoints,
  loadCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
} from "./checkpoint.ts";
export {
  type LogRecord,
  TrainingDiverged,
  type TrainOptions,
  type TrainResult,
  type TrainSpec,
  train,
} from "./trainer.ts";
export { loadTrainedWorldModel, type TrainedWorldModel } from "./run-folder.ts";
