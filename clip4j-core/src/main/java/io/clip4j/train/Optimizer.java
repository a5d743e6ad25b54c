package io.clip4j.train;

import java.util.List;

/** Updates parameters in place from their gradients (torch.optim semantics: one call = one {@code step()}). */
public interface Optimizer {
    /** One update of every parameter in {@link #groups()}, with learning rate lr for this step (all groups). */
    void step(Gradients grads, double lr);

    List<ParamGroup> groups();
}
