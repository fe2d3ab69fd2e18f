// yamloracle: what Kubernetes makes of a YAML file, as the reference for
// sealsync's YAML loader (tests/yamloracle/run-corpus.sh).
//
// It splits the file into documents as apimachinery's YAMLReader does (a
// line starting with "---" ends a document; after the "---" only blanks or a
// comment may follow) and converts each document with sigs.k8s.io/yaml
// YAMLToJSONStrict (go-yaml v2). Documents that come out as JSON null are
// skipped, as kubectl skips them, but keep their index.
//
// Output: one line "<index>\t<json>" per document, or a single line
// "error\t<message>" when the file is refused (kubectl refuses the whole
// file then). The exit status is 0 in both cases; 2 means it could not run.
//
//	yamloracle FILE              output on stdout
//	yamloracle -o DIR FILE...    output of each FILE in DIR/<base name>.oracle
//	                             (one process for the whole corpus)
//
// Built offline from Debian's golang-k8s-sigs-yaml-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o yamloracle main.go
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// splitLines returns the lines of data as bufio.Reader.ReadLine +
// LineReader do: the end of line ("\n" or "\r\n") replaced by "\n", and a
// final line without newline given one.
func splitLines(data []byte) [][]byte {
	var lines [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		lines = append(lines, append(append([]byte{}, line...), '\n'))
	}
	return lines
}

// splitDocuments mirrors YAMLReader.Read called until io.EOF.
func splitDocuments(data []byte) ([][]byte, error) {
	var docs [][]byte
	var buf bytes.Buffer
	for _, line := range splitLines(data) {
		if bytes.HasPrefix(line, []byte("---")) {
			trimmed := strings.TrimSpace(string(line[3:]))
			if len(trimmed) > 0 && trimmed[0] != '#' {
				return nil, fmt.Errorf("invalid Yaml document separator: %s", trimmed)
			}
			if buf.Len() != 0 {
				docs = append(docs, append([]byte{}, buf.Bytes()...))
				buf.Reset()
			}
			continue
		}
		buf.Write(line)
	}
	if buf.Len() != 0 {
		docs = append(docs, append([]byte{}, buf.Bytes()...))
	}
	return docs, nil
}

func convert(data []byte) ([]string, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, doc := range docs {
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %v", i, err)
		}
		j = bytes.TrimSpace(j)
		if len(j) == 0 || bytes.Equal(j, []byte("null")) {
			continue
		}
		out = append(out, fmt.Sprintf("%d\t%s", i, j))
	}
	return out, nil
}

func report(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	out, err := convert(data)
	if err != nil {
		return fmt.Sprintf("error\t%s\n", strings.ReplaceAll(err.Error(), "\n", " ")), nil
	}
	var b strings.Builder
	for _, line := range out {
		b.WriteString(line + "\n")
	}
	return b.String(), nil
}

func main() {
	args := os.Args[1:]
	dir := ""
	if len(args) >= 2 && args[0] == "-o" {
		dir, args = args[1], args[2:]
	} else if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: yamloracle FILE | yamloracle -o DIR FILE...")
		os.Exit(2)
	}
	for _, path := range args {
		text, err := report(path)
		if err == nil && dir == "" {
			_, err = os.Stdout.WriteString(text)
		} else if err == nil {
			err = os.WriteFile(filepath.Join(dir, filepath.Base(path)+".oracle"), []byte(text), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
