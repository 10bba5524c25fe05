package vet

import (
	_ "embed"
	"html/template"
	"io"
)

//go:embed report.html
var reportHTML string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(f float64) float64 { return 100 * f },
}).Parse(reportHTML))

// WriteHTML writes the report as one self-contained HTML page (inline
// style, no scripts, nothing fetched), fit to print or keep in a hiring
// file.
func WriteHTML(w io.Writer, r *Report) error { return reportTmpl.Execute(w, r) }
