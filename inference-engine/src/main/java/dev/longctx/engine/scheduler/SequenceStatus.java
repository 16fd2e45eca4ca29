package dev.longctx.engine.scheduler;

/** Where a request is in its life. PREEMPTED is waiting again, at the front, to recompute its K/V. */
public enum SequenceStatus { WAITING, RUNNING, PREEMPTED, FINISHED }
