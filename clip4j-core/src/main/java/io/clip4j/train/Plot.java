package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** {@code metrics.png}: a 2×2 grid of XChart line charts from metrics.jsonl: loss, learning rate, logit scale, validation recall. */
public final class Plot {
    private Plot() {}

    static { System.setProperty("java.awt.headless", "true"); }

    public static void write(Path metricsJsonl, Path png) throws IOException {
        List<JsonNode> recs = Metrics.read(metricsJsonl);
        List<Double> st = new ArrayList<>(), loss = new ArrayList<>(), lr = new ArrayList<>(), scale = new ArrayList<>();
        List<Double> es = new ArrayList<>(), vloss = new ArrayList<>(), i2t = new ArrayList<>(), t2i = new ArrayList<>(), zs = new ArrayList<>();
        for (JsonNode r : recs) {
            double s = r.path("step").asDouble();
            if (r.path("type").asText().equals("train")) {
                st.add(s); loss.add(r.path("loss").asDouble()); lr.add(r.path("lr").asDouble()); scale.add(r.path("logit_scale").asDouble());
            } else if (r.path("type").asText().equals("eval")) {
                es.add(s);
                vloss.add(r.has("loss") ? r.path("loss").asDouble() : Double.NaN);
                i2t.add(r.path("image_to_text_R@1").asDouble(Double.NaN));
                t2i.add(r.path("text_to_image_R@1").asDouble(Double.NaN));
                zs.add(r.path("zero_shot_name").path("top1").asDouble(Double.NaN));
            }
        }
        int W = 600, H = 400;
        List<XYChart> charts = new ArrayList<>();
        XYChart c1 = chart("loss", W, H);
        add(c1, "train", st, loss, false);
        add(c1, "validation", es, vloss, true);
        charts.add(c1);
        // in units of the peak's decade (e.g. ×1e-3): XChart crowds the ticks of tiny values under a decimal pattern
        double peak = lr.stream().mapToDouble(Math::abs).max().orElse(1);
        int decade = peak > 0 ? (int) Math.floor(Math.log10(peak)) : 0;
        double unit = Math.pow(10, decade);
        XYChart c2 = chart("learning rate (×1e" + decade + ")", W, H);
        add(c2, "lr", st, lr.stream().map(v -> v / unit).toList(), false);
        charts.add(c2);
        XYChart c3 = chart("logit scale (ln temperature)", W, H);
        add(c3, "logit_scale", st, scale, false);
        charts.add(c3);
        XYChart c4 = chart("validation recall@1 / zero-shot top-1", W, H);
        add(c4, "image→text R@1", es, i2t, true);
        add(c4, "text→image R@1", es, t2i, true);
        add(c4, "zero-shot name top-1", es, zs, true);
        charts.add(c4);
        BufferedImage all = new BufferedImage(2 * W, 2 * H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 2 * W, 2 * H);
        for (int i = 0; i < charts.size(); i++) g.drawImage(BitmapEncoder.getBufferedImage(charts.get(i)), (i % 2) * W, (i / 2) * H, null);
        g.dispose();
        Path tmp = png.resolveSibling("." + png.getFileName() + ".tmp");
        ImageIO.write(all, "png", tmp.toFile());
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static XYChart chart(String title, int w, int h) {
        XYChart c = new XYChartBuilder().width(w).height(h).title(title).xAxisTitle("step").build();
        c.getStyler().setLegendVisible(true);
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setXAxisDecimalPattern("#0"); // steps are integers
        c.getStyler().setXAxisMaxLabelCount(10);
        return c;
    }

    private static void add(XYChart c, String name, List<Double> x, List<Double> y, boolean markers) {
        List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) if (!Double.isNaN(y.get(i)) && !Double.isInfinite(y.get(i))) { xs.add(x.get(i)); ys.add(y.get(i)); }
        if (xs.isEmpty()) return;
        XYSeries s = c.addSeries(name, xs, ys);
        s.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
}
