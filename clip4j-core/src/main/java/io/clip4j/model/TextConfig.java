package io.clip4j.model;

/**
 * The text tower: a causal transformer over at most maxPositions tokens.
 * Pooling reads the hidden state at the end-of-text token: with the legacy {@code eos_token_id == 2} of the
 * original OpenAI configs that is the position of the largest id (argmax), else the first position holding eosId.
 */
public record TextConfig(TowerConfig tower, int vocabSize, int maxPositions, int bosId, int eosId, int padId) {
    public boolean poolAtArgmax() { return eosId == 2; }
}
