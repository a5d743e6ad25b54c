package io.clip4j.train;

import java.nio.file.Path;

/**
 * {@code clip4j train} as a separate process for the tests that kill it: key=value arguments (model, data, out, steps,
 * save-every, workers, resume=true), then {@link Trainer#run} exactly as the command runs it. Prints "step N" as
 * steps finish.
 */
public final class TrainProcess {
    private TrainProcess() {}

    public static void main(String[] args) throws Exception {
        TrainOptions o = new TrainOptions();
        o.batchSize = 4;
        o.lr = 1e-3;
        o.weightDecay = 0.1;
        o.warmup = 2;
        o.plot = false;
        for (String a : args) {
            int eq = a.indexOf('=');
            String k = a.substring(0, eq), v = a.substring(eq + 1);
            switch (k) {
                case "model" -> o.model = Path.of(v);
                case "data" -> o.data = v;
                case "out" -> o.out = Path.of(v);
                case "steps" -> o.steps = Integer.parseInt(v);
                case "save-every" -> o.saveEvery = Integer.parseInt(v);
                case "workers" -> o.workers = Integer.parseInt(v);
                case "resume" -> { if (Boolean.parseBoolean(v)) o.resume = o.out; }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (o.resume != null) o.model = null;
        Trainer.Summary s = new Trainer(o, new Trainer.Listener() {
            @Override public void step(com.fasterxml.jackson.databind.node.ObjectNode record) {
                System.out.println("step " + record.path("step").asInt());
                System.out.flush();
            }
            @Override public void message(String line) { System.out.println(line); }
        }).run();
        System.out.println("done " + s.steps());
    }
}
