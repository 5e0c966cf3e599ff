package policyzip.io;

import java.nio.file.Path;

/** A PolicyZip file that cannot be used: the message names the file and what is wrong, in one line. */
public final class InvalidFileException extends IllegalArgumentException {
    private final transient Path file;

    public InvalidFileException(Path file, String problem) {
        super(file + " " + problem);
        this.file = file;
    }

    public Path file() { return file; }
}
