package io.clip4j.train;

import io.clip4j.nn.Param;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Parameters that share optimizer hyper-parameters (here: the weight decay), as a torch param group. */
public record ParamGroup(String name, List<Param> params, double weightDecay) {
    public ParamGroup {
        params = List.copyOf(params);
    }

    /**
     * open_clip's two groups (v3.3.0 {@code main.py}): a parameter is excluded from weight decay iff
     * {@code p.ndim < 2 or 'bn' in n or 'ln' in n or 'bias' in n or 'logit_scale' in n} for its OpenCLIP name n.
     * For CLIP that is exactly ndim &lt; 2 (biases, LayerNorm weights and biases, the class embedding, logit_scale);
     * the name test is restated on clip4j's (Hugging Face) names. Returns [no_decay (wd 0), decay (wd weightDecay)].
     */
    public static List<ParamGroup> openClip(List<Param> params, double weightDecay) {
        List<Param> noDecay = new ArrayList<>(), decay = new ArrayList<>();
        for (Param p : params) (excludedFromWeightDecay(p) ? noDecay : decay).add(p);
        return List.of(new ParamGroup("no_decay", noDecay, 0.0), new ParamGroup("decay", decay, weightDecay));
    }

    /** open_clip's exclusion rule, see {@link #openClip}. */
    public static boolean excludedFromWeightDecay(Param p) {
        String n = p.name.toLowerCase(Locale.ROOT);
        return p.shape.length < 2 || n.endsWith(".bias") || n.contains("layer_norm") || n.contains("layernorm")
                || n.contains("layrnorm") || n.contains("logit_scale") || n.contains("batch_norm");
    }

    /** Everything in one group with the given weight decay. */
    public static List<ParamGroup> single(List<Param> params, double weightDecay) {
        return List.of(new ParamGroup("all", params, weightDecay));
    }
}
