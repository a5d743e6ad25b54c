package io.clip4j.train;

/**
 * Learning rate per optimizer step (step = 0, 1, …), as open_clip's {@code scheduler.py}; the trainer sets every
 * group's lr to {@code lr(step)} before the step.
 */
@FunctionalInterface
public interface LrSchedule {
    double lr(int step);

    /** The same lr at every step. */
    static LrSchedule constant(double lr) { return step -> lr; }

    /** open_clip {@code _warmup_lr}: base·(step + 1)/warmup. */
    private static double warmup(double base, int warmup, int step) { return base * (step + 1) / warmup; }

    /** open_clip {@code const_lr}: linear warmup over warmup steps, then base. */
    static LrSchedule constant(double base, int warmup) {
        return step -> step < warmup ? warmup(base, warmup, step) : base;
    }

    /**
     * open_clip {@code cosine_lr}: linear warmup, then 0.5·(1 + cos(π·e/es))·base with e = step − warmup,
     * es = steps − warmup (steps = total steps).
     */
    static LrSchedule cosine(double base, int warmup, int steps) {
        return step -> {
            if (step < warmup) return warmup(base, warmup, step);
            int e = step - warmup, es = steps - warmup;
            if (es <= 0) return base;
            return 0.5 * (1 + Math.cos(Math.PI * e / es)) * base;
        };
    }

    /**
     * open_clip {@code const_lr_cooldown}: warmup, constant base, then over the last cooldownSteps steps
     * lr = (1 − e/es)^power·(base − endLr) + endLr, e counted from the start of the cooldown.
     */
    static LrSchedule constantWithCooldown(double base, int warmup, int steps, int cooldownSteps, double power, double endLr) {
        return step -> {
            int start = steps - cooldownSteps;
            if (step < warmup) return warmup(base, warmup, step);
            if (step < start) return base;
            int e = step - start, es = steps - start;
            double decay = Math.pow(1 - (double) e / es, power);
            return decay * (base - endLr) + endLr;
        };
    }
}
