// Command pack writes a release archive that is the same byte for byte at
// every build of one commit: entries in the order given, one modification
// time (SOURCE_DATE_EPOCH), owner 0, modes 0755 for the binary and 0644 for
// the rest, no user or host names, and a gzip header without a name or time.
// GNU tar and zip can do most of that with the right flags, but not the same
// flags on every system; the Go standard library does it everywhere.
//
//	go run ./scripts/pack -o carbonprobe_0.2.0_linux_amd64.tar.gz -prefix carbonprobe_0.2.0_linux_amd64 \
//	  -epoch 1764756000 -exec carbonprobe,carbonprobe-serve bin/carbonprobe bin/carbonprobe-serve LICENSE README.md CHANGELOG.md
//
// A file is stored under prefix/ by its base name, or as NAME when given as
// FILE=NAME (man/carbonprobe.1: a folder of its own). The archive kind
// follows the output's name: .tar.gz or .zip.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	out := flag.String("o", "", "the archive to write (.tar.gz or .zip)")
	prefix := flag.String("prefix", "", "the folder the files are stored under")
	epoch := flag.Int64("epoch", 0, "modification time of every entry, seconds since 1970 (SOURCE_DATE_EPOCH)")
	exe := flag.String("exec", "", "the names of the files stored as executable, comma-separated")
	flag.Parse()
	if *out == "" || *prefix == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: pack -o ARCHIVE -prefix DIR -epoch SECONDS [-exec NAME,...] FILE...")
		os.Exit(3)
	}
	if err := pack(*out, *prefix, time.Unix(*epoch, 0).UTC(), *exe, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func pack(out, prefix string, mtime time.Time, exe string, files []string) (err error) {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(out)
		}
	}()
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		return packTar(f, prefix, mtime, exe, files)
	case strings.HasSuffix(out, ".zip"):
		return packZip(f, prefix, mtime, exe, files)
	}
	return errors.New(out + ": the name must end in .tar.gz or .zip")
}

// entry splits FILE=NAME into the file to read and its name in the archive.
func entry(arg string) (file, name string, err error) {
	file, name, ok := strings.Cut(arg, "=")
	if !ok {
		return arg, filepath.Base(arg), nil
	}
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || strings.HasPrefix(name, "../") {
		return "", "", fmt.Errorf("%s: want a relative name inside the archive's folder", arg)
	}
	return file, name, nil
}

func mode(name, exe string) int64 {
	if slices.Contains(strings.Split(exe, ","), name) {
		return 0o755
	}
	return 0o644
}

func packTar(w io.Writer, prefix string, mtime time.Time, exe string, files []string) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	dir := &tar.Header{Typeflag: tar.TypeDir, Name: prefix + "/", Mode: 0o755, ModTime: mtime}
	if err := tw.WriteHeader(dir); err != nil {
		return err
	}
	dirs := map[string]bool{}
	for _, arg := range files {
		file, name, err := entry(arg)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if d := path.Dir(name); d != "." && !dirs[d] {
			dirs[d] = true
			h := &tar.Header{Typeflag: tar.TypeDir, Name: path.Join(prefix, d) + "/", Mode: 0o755, ModTime: mtime}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: path.Join(prefix, name), Mode: mode(name, exe),
			Size: int64(len(b)), ModTime: mtime}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func packZip(w io.Writer, prefix string, mtime time.Time, exe string, files []string) error {
	zw := zip.NewWriter(w)
	for _, arg := range files {
		file, name, err := entry(arg)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		h := &zip.FileHeader{Name: path.Join(prefix, name), Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(mode(name, exe)))
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(b); err != nil {
			return err
		}
	}
	return zw.Close()
}
