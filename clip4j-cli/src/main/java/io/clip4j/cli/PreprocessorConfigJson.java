package io.clip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** preprocessor_config.json as Hugging Face's CLIPImageProcessor writes it. */
final class PreprocessorConfigJson {
    private PreprocessorConfigJson() {}

    static ObjectNode clipDefaults(int size) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.putObject("crop_size").put("height", size).put("width", size);
        n.put("do_center_crop", true).put("do_convert_rgb", true).put("do_normalize", true).put("do_rescale", true).put("do_resize", true);
        n.put("image_processor_type", "CLIPImageProcessor");
        n.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        n.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        n.put("resample", 3);
        n.put("rescale_factor", 1.0 / 255);
        n.putObject("size").put("shortest_edge", size);
        return n;
    }
}
