package io.github.rpo4j.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The record of operations for reverse-mode differentiation, one per thread.
 *
 * <p>Every op whose inputs need a gradient appends a node to the tape while recording is on.
 * {@link Tensor#backward()} walks the tape from its end back to the first node, so each node's
 * output gradient is complete before its backward function runs (nodes are appended in
 * execution order, which is a topological order). The tape is cleared after a backward pass.
 *
 * <p>Inference code runs inside {@link #noGrad()} so that nothing is recorded:
 * <pre>{@code
 * try (Tape.Scope ignored = Tape.noGrad()) {
 *     logits = model.forward(ids);
 * }
 * }</pre>
 *
 * <p>Work that is split into parts, each recorded now and differentiated later, possibly on another
 * thread (a micro-batch's shards, see {@code io.github.rpo4j.train.ShardedLogProbs}), gives each part a tape
 * of its own: {@link #create()} makes one and {@link #use(Tape)} makes it the calling thread's tape for a
 * while. A tape must be used by one thread at a time.
 */
public final class Tape {

    private static final ThreadLocal<Tape> CURRENT = ThreadLocal.withInitial(Tape::new);

    private final List<Tensor> nodes = new ArrayList<>();
    private int noGradDepth;

    private Tape() {
    }

    /** The calling thread's tape. */
    public static Tape current() {
        return CURRENT.get();
    }

    /** A new, empty tape, recording, that no thread uses until it is passed to {@link #use(Tape)}. */
    public static Tape create() {
        return new Tape();
    }

    /**
     * Makes {@code tape} the calling thread's tape until the returned scope is closed, when the thread's
     * previous tape is its tape again.
     */
    public static Scope use(Tape tape) {
        java.util.Objects.requireNonNull(tape, "tape");
        Tape previous = CURRENT.get();
        CURRENT.set(tape);
        return () -> CURRENT.set(previous);
    }

    /** Whether ops on this thread are being recorded now. */
    public static boolean isRecording() {
        return current().noGradDepth == 0;
    }

    /** Stops recording until the returned scope is closed; scopes nest. */
    public static Scope noGrad() {
        Tape tape = current();
        tape.noGradDepth++;
        return () -> tape.noGradDepth--;
    }

    /** Drops every recorded node, e.g. after a forward pass whose loss is not differentiated. */
    public static void clear() {
        current().nodes.clear();
    }

    /** The number of nodes recorded since the last backward pass or {@link #clear()}. */
    public static int size() {
        return current().nodes.size();
    }

    void record(Tensor node) {
        nodes.add(node);
    }

    /** Runs every node's backward function from the root back to the start, then clears the tape. */
    void backwardFrom(Tensor root) {
        int start = nodes.lastIndexOf(root);
        if (start < 0) {
            throw new IllegalStateException("the tensor to differentiate was not recorded on this thread's tape"
                    + " (was it computed under Tape.noGrad(), on another thread, or already differentiated?)");
        }
        try {
            for (int i = start; i >= 0; i--) {
                nodes.get(i).runBackward();
            }
        } finally {
            nodes.clear();
        }
    }

    /** A recording pause that ends when closed. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
