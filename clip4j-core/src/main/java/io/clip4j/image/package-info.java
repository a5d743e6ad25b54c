/**
 * Image decoding and CLIP preprocessing that reproduce the reference pipeline (OpenAI CLIP on torchvision 0.14 and
 * Pillow 9.4, JPEGs decoded by libjpeg-turbo) sample for sample.
 *
 * <ul>
 *   <li>{@link io.clip4j.image.ImageDecoder}: file → {@link io.clip4j.image.PilImage} in Pillow's mode (L, LA, RGB,
 *       RGBA, P, 1, I, CMYK), with a pixel limit checked from the header and one-line errors naming the file.</li>
 *   <li>{@link io.clip4j.image.Resample}: Pillow's {@code Image.resize} (nearest, box, bilinear, hamming, bicubic,
 *       lanczos) per mode, with Pillow's fixed-point arithmetic.</li>
 *   <li>{@link io.clip4j.image.PilConvert}: {@code convert("RGB")} rules, alpha, compositing.</li>
 *   <li>{@link io.clip4j.image.ImagePreprocessor} with {@link io.clip4j.image.PreprocessConfig}: Resize →
 *       CenterCrop → RGB → ToTensor → Normalize, giving CHW float32.</li>
 * </ul>
 *
 * Typical use: {@code float[] pixels = ImagePreprocessor.fromHfConfig(dir.resolve("preprocessor_config.json")).apply(path);}
 */
package io.clip4j.image;
