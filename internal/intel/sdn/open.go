package sdn

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"os"
	"time"
)

// ReadFile reads an SDN list file of either form OFAC publishes: the
// Advanced XML or the legacy sdn.csv, each plain or bzip2-compressed (told
// by content, not by name). date is used for the legacy CSV, which carries
// no date of its own; the XML's DateOfIssue wins over it.
func ReadFile(path string, date time.Time, opt Options) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sdn: %w", err)
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return nil, &Error{File: path, Offset: -1, Msg: "read", Err: err}
	}
	head, _ := r.Peek(512)
	if bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"), []byte("<")) {
		return ParseAdvanced(r, path, opt)
	}
	return ParseLegacyCSV(r, path, date, opt)
}

// decompress returns r, unwrapped from bzip2 when it starts with bzip2's
// magic bytes.
func decompress(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if string(magic) == "BZh" {
		return bufio.NewReaderSize(bzip2.NewReader(br), 1<<16), nil
	}
	return br, nil
}
