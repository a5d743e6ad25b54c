package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.nn.Param;

import java.util.List;

/** WiSE-FT: weight-space interpolation θ = (1 − α)·θ_A + α·θ_B of two models of the same architecture. */
public final class WiseFt {
    private WiseFt() {}

    /** Writes the interpolation into A's parameters (in place); returns the interpolated logit_scale. */
    public static float interpolateInto(ClipModel a, ClipModel b, double alpha) {
        var ca = a.config();
        var cb = b.config();
        boolean same = ca.family() == cb.family() && ca.projectionDim() == cb.projectionDim() && ca.vision().equals(cb.vision()) && ca.text().equals(cb.text());
        if (!same) throw new Clip4jException("wise-ft needs two models of the same architecture: " + a.config() + " vs " + b.config());
        List<Param> pa = a.params(), pb = b.params();
        if (pa.size() != pb.size()) throw new Clip4jException("the models have different parameter lists");
        float wa = (float) (1 - alpha), wb = (float) alpha;
        for (int i = 0; i < pa.size(); i++) {
            Param x = pa.get(i), y = pb.get(i);
            if (!x.name.equals(y.name) || x.numel() != y.numel()) throw new Clip4jException("parameter " + x.name + " does not match " + y.name);
            if (!x.onHeap()) throw new IllegalArgumentException("wise-ft writes into model A's weights: load it with WeightStorage.HEAP");
            float[] yv = y.floats();
            for (int k = 0; k < x.data.length; k++) x.data[k] = wa * x.data[k] + wb * yv[k];
        }
        return wa * a.logitScale() + wb * b.logitScale();
    }
}
