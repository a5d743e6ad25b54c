package io.clip4j.kernel;

/** The error function and its complement in double precision (W. J. Cody's CALERF rational approximations, |error| < 1e-15). */
final class Erf {
    private Erf() {}

    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 0.46875) return erfSmall(x);
        double r = 1.0 - erfcNonNeg(ax);
        return x < 0 ? -r : r;
    }

    /** The complementary error function 1 − erf(x), computed directly (no cancellation for large x). */
    static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax < 0.46875) return 1.0 - erfSmall(x);
        double r = erfcNonNeg(ax);
        return x < 0 ? 2.0 - r : r;
    }

    /** erf(x) for |x| < 0.46875. */
    private static double erfSmall(double x) {
        double t = x * x;
        double num = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
        double den = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
        return x * num / den;
    }

    /** erfc(ax) for ax ≥ 0.46875. */
    private static double erfcNonNeg(double ax) {
        if (ax >= 27.0) return 0.0;                    // erfc(27) < 1e-318: underflow (also covers ∞)
        if (ax < 4.0) {
            // erfc(x) = exp(-x²) · P8(x) / Q8(x)  (Cody's second interval, coefficients c9..c8 / d1..d8)
            double num = (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax
                    + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax
                    + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725;
            double den = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax
                    + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax
                    + 3439.36767414372164) * ax + 1230.33935480374942;
            return expMinusSquare(ax) * num / den;
        } else {
            double z = 1.0 / (ax * ax);
            double num = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
            double den = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 2.33520497626869185e-3;
            return expMinusSquare(ax) / ax * (0.564189583547756287 - z * num / den);
        }
    }

    /** exp(-x²) with the square split as in Cody's CALERF (x² = s² + (x-s)(x+s), s = x rounded down to 1/16). */
    private static double expMinusSquare(double x) {
        double s = Math.floor(x * 16.0) / 16.0;
        double del = (x - s) * (x + s);
        return Math.exp(-s * s) * Math.exp(-del);
    }
}
