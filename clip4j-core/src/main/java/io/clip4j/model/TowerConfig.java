package io.clip4j.model;

/** The transformer shape shared by both towers: width C, MLP width, depth, heads, LayerNorm eps, activation. */
public record TowerConfig(int hiddenSize, int intermediateSize, int numLayers, int numHeads, float layerNormEps, Activation activation) {
    public int headDim() { return hiddenSize / numHeads; }
}
