package io.clip4j.index;

import io.clip4j.model.ClipModel;

import java.nio.file.Path;

/** Child process of the crash test: indexes a folder two images per batch, pausing after each commit. */
public final class SlowIndexMain {
    public static void main(String[] args) throws Exception {
        try (ClipModel model = ClipModel.load(Path.of(args[2]))) {
            IndexUpdater.update(Path.of(args[0]), Path.of(args[1]), model, IndexUpdater.Options.defaults().withBatchSize(2).withCommitEvery(1),
                    new IndexUpdater.Listener() {
                        @Override public void committed(int documents) {
                            System.out.println("COMMITTED " + documents);
                            System.out.flush();
                            try {
                                Thread.sleep(2000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
        }
        System.out.println("DONE");
    }
}
