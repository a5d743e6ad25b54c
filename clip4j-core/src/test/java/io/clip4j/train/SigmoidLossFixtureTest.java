package io.clip4j.train;

import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.clip4j.train.TrainFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SigLIP's sigmoid loss against fixtures/siglip (README "Loss and gradients"): embeds in, logits and loss out, and the
 * float64 gradients of logit_scale and logit_bias from loss_siglip_grads.safetensors. The embedding gradients, which
 * the fixture holds only through the tower parameters, are checked by finite differences.
 */
class SigmoidLossFixtureTest {
    @Test void lossLogitsAndScaleBiasGradientsMatchTheReference() {
        System.out.println("SigmoidLoss vs siglip/loss_siglip_*.safetensors:");
        try (SafeTensors in = SafeTensors.open(Fixtures.path("siglip/loss_siglip_inputs.safetensors"));
             SafeTensors gr = SafeTensors.open(Fixtures.path("siglip/loss_siglip_grads.safetensors"));
             SafeTensors model = SafeTensors.open(Fixtures.path("siglip/siglip_tiny/model.safetensors"))) {
            int B = (int) in.info("image_embeds").shape()[0], E = (int) in.info("image_embeds").shape()[1];
            float scale = model.floats("logit_scale")[0], bias = model.floats("logit_bias")[0];
            SigmoidLoss.Result r = SigmoidLoss.compute(in.floats("image_embeds"), in.floats("text_embeds"), B, E, scale, bias);
            assertScalar(in.floats("loss")[0], r.loss(), 1e-5, "loss");
            assertAbs(in.floats("logits_per_text"), r.logitsPerText(), 1e-4, "logits_per_text");
            assertAbs(in.floats("logits_per_image"), r.logitsPerImage(), 1e-4, "logits_per_image");
            assertScalar(gr.floats("logit_scale")[0], r.dLogitScale(), 1e-6 * Math.max(1, Math.abs(gr.floats("logit_scale")[0])), "grad logit_scale");
            assertScalar(gr.floats("logit_bias")[0], r.dLogitBias(), 1e-6 * Math.max(1, Math.abs(gr.floats("logit_bias")[0])), "grad logit_bias");
        }
    }

    @Test void featureGradientsMatchFiniteDifferences() {
        Random rnd = new Random(4);
        int B = 4, E = 5;
        float[] img = new float[B * E], txt = new float[B * E];
        for (int i = 0; i < B * E; i++) { img[i] = (float) rnd.nextGaussian(); txt[i] = (float) rnd.nextGaussian(); }
        float ls = 0.7f, bias = -1.5f;
        SigmoidLoss.Result r = SigmoidLoss.compute(img, txt, B, E, ls, bias);
        double h = 3e-3;
        for (int which = 0; which < 2; which++) {
            float[] x = which == 0 ? img : txt, g = which == 0 ? r.dImageFeatures() : r.dTextFeatures();
            for (int i = 0; i < x.length; i++) {
                float keep = x[i];
                x[i] = (float) (keep + h); float xu = x[i]; double up = SigmoidLoss.compute(img, txt, B, E, ls, bias).loss();
                x[i] = (float) (keep - h); float xd = x[i]; double dn = SigmoidLoss.compute(img, txt, B, E, ls, bias).loss();
                x[i] = keep;
                assertEquals((up - dn) / (xu - xd), g[i], 2e-4, (which == 0 ? "image" : "text") + " feature " + i);
            }
        }
        double up = SigmoidLoss.compute(img, txt, B, E, ls + 3e-3f, bias).loss(), dn = SigmoidLoss.compute(img, txt, B, E, ls - 3e-3f, bias).loss();
        assertEquals((up - dn) / ((ls + 3e-3f) - (ls - 3e-3f)), r.dLogitScale(), 2e-4, "logit_scale");
        up = SigmoidLoss.compute(img, txt, B, E, ls, bias + 3e-3f).loss(); dn = SigmoidLoss.compute(img, txt, B, E, ls, bias - 3e-3f).loss();
        assertEquals((up - dn) / ((bias + 3e-3f) - (bias - 3e-3f)), r.dLogitBias(), 2e-4, "logit_bias");
    }
}
