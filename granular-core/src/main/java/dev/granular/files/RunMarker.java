package dev.granular.files;

import dev.granular.io.BadInputException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code DIR/.granular/run.json}: what marks a folder as granular output, and the list of every
 * file the run wrote there (relative paths, recorded before each file is created). Only the files
 * listed here are ever deleted by {@code --overwrite}; a folder without this marker is not
 * granular's, however much it looks like it (a {@code manifest.json} proves nothing).
 */
record RunMarker(String command, String runId, String fingerprint, Object identity, String created, List<String> files) {
    static final String TOOL = "granular";
    static final String PATH = ".granular/run.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    RunMarker {
        files = List.copyOf(files);
    }

    /**
     * Reads the marker of {@code dir}; null when it has none.
     *
     * @throws BadInputException when the file is there but is not a marker this version can trust
     */
    static RunMarker read(Path dir) {
        Path file = dir.resolve(PATH);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file.toString(), 0, "unreadable granular run marker (" + e.getMessage()
                    + "); granular will not guess which files are its own: move the folder away or choose another --out");
        }
        if (!TOOL.equals(n.path("tool").asText()) || !n.path("files").isArray() || !n.hasNonNull("fingerprint")) {
            throw new BadInputException(file.toString(), 0, "was written by an older granular that did not list the files it wrote,"
                    + " so granular cannot tell them from yours: delete the folder yourself or choose another --out");
        }
        List<String> files = new ArrayList<>();
        n.path("files").forEach(f -> files.add(f.asText()));
        return new RunMarker(n.path("command").asText(), n.path("run_id").asText(), n.path("fingerprint").asText(),
                JSON.convertValue(n.path("identity"), Object.class), n.path("created").asText(), files);
    }

    void write(Path dir) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", TOOL);
        m.put("command", command);
        m.put("run_id", runId);
        m.put("fingerprint", fingerprint);
        m.put("identity", identity);
        m.put("created", created);
        m.put("files", files);
        try {
            AtomicFiles.write(dir.resolve(PATH), JSON.writeValueAsString(m) + "\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + dir.resolve(PATH), e);
        }
    }

    RunMarker withFiles(List<String> newFiles) {
        return new RunMarker(command, runId, fingerprint, identity, created, newFiles);
    }
}
