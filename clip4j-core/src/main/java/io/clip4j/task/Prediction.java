package io.clip4j.task;

/**
 * One ranked label of a zero-shot classification.
 *
 * @param label       the label as given
 * @param index       its position in the classifier's label list
 * @param score       cosine similarity between the image embedding and the label's (template-averaged) embedding
 * @param probability the family's probability: CLIP's softmax over all labels of {@code exp(logit_scale) · score}
 */
public record Prediction(String label, int index, float score, double probability) {}
