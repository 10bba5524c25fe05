package sdn

import (
	"io"
	"time"
)

// ParseLegacyCSV is a stub until the legacy reader lands.
func ParseLegacyCSV(r io.Reader, name string, date time.Time, opt Options) (*List, error) {
	return nil, &Error{File: name, Offset: -1, Msg: "legacy CSV not supported yet"}
}
