package io.clip4j.cli;

import io.clip4j.index.IndexUpdater;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;

/** Index progress: a bar with files/s and ETA on stderr (when enabled), failures as lines. */
final class IndexProgress implements IndexUpdater.Listener, AutoCloseable {
    private final boolean bar;
    private final PrintWriter err;
    private final PrintStream barStream;
    private ProgressBar pb;

    IndexProgress(boolean bar, PrintWriter err, PrintStream barStream) {
        this.bar = bar;
        this.err = err;
        this.barStream = barStream;
    }

    @Override public void scanned(int files, int toRead) {
        if (bar && toRead > 0) {
            pb = new ProgressBarBuilder().setTaskName("indexing").setInitialMax(toRead).setStyle(ProgressBarStyle.ASCII)
                    .setUnit(" files", 1).showSpeed(TaskOutput.speedFormat()).setSpeedUnit(ChronoUnit.SECONDS)
                    .setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(barStream)).build();
        }
    }

    @Override public void progress(int done, int toRead) {
        if (pb != null) pb.stepTo(done);
    }

    @Override public void failed(Path file, String error) {
        if (pb != null) barStream.print("\r\033[K");
        err.println("clip4j: " + error);
        err.flush();
    }

    @Override public void close() {
        if (pb != null) pb.close();
        pb = null;
    }
}
