package tagpack

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Entry is one tag or actor of a pack: its fields as written, without the
// header's defaults.
type Entry struct {
	Index  int // position in the pack's list, from 0
	Line   int
	Fields map[string]Value
}

// Pack is one TagPack or ActorPack file as written: its header (with any
// included header merged in) and its entries. TagPack and ActorPack wrap it
// with the rules of their kind.
type Pack struct {
	File    string
	Line    int // line of the entry list
	Header  map[string]Value
	Entries []Entry
}

// Includer reads the file a "!include NAME" refers to. The TagPack tool
// resolves includes against the directory of the nearest header.yaml (see
// Files); DirIncluder does that.
type Includer func(name string) ([]byte, error)

// DirIncluder resolves includes inside dir and refuses paths that leave it.
func DirIncluder(dir string) Includer {
	return func(name string) ([]byte, error) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, fmt.Errorf("include %s: %w", name, err)
		}
		defer root.Close()
		f, err := root.Open(name)
		if err != nil {
			return nil, fmt.Errorf("include %s: %w", name, err)
		}
		defer f.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(f); err != nil {
			return nil, fmt.Errorf("include %s: %w", name, err)
		}
		return buf.Bytes(), nil
	}
}

// maxIncludeDepth stops include cycles (a header including itself).
const maxIncludeDepth = 8

// decodePack parses one pack document. list names the entry list key
// ("tags" or "actors"). include may be nil when includes are not allowed.
func decodePack(data []byte, file, list string, include Includer) (*Pack, error) {
	root, err := parseYAML(data, include, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	p := &Pack{File: file, Header: map[string]Value{}}
	if err := p.fill(root, list); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// parseYAML returns the root mapping of a document, includes resolved.
func parseYAML(data []byte, include Includer, depth int) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("malformed YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a pack must be a YAML mapping", doc.Line)
	}
	root := doc.Content[0]
	if err := resolveIncludes(root, include, depth); err != nil {
		return nil, err
	}
	return root, nil
}

// resolveIncludes replaces every "!include NAME" scalar with the root of
// the named document, as the tool's pyyaml-include does.
func resolveIncludes(n *yaml.Node, include Includer, depth int) error {
	for i, c := range n.Content {
		if c.Kind == yaml.ScalarNode && c.Tag == "!include" {
			if include == nil {
				return fmt.Errorf("line %d: !include %s: includes are not allowed here", c.Line, c.Value)
			}
			if depth >= maxIncludeDepth {
				return fmt.Errorf("line %d: !include %s: includes nested deeper than %d", c.Line, c.Value, maxIncludeDepth)
			}
			data, err := include(c.Value)
			if err != nil {
				return fmt.Errorf("line %d: %w", c.Line, err)
			}
			inc, err := parseYAML(data, include, depth+1)
			if err != nil {
				return fmt.Errorf("line %d: !include %s: %w", c.Line, c.Value, err)
			}
			n.Content[i] = inc
			continue
		}
		if err := resolveIncludes(c, include, depth); err != nil {
			return err
		}
	}
	return nil
}

// fill reads the root mapping: header fields, an included "header"
// mapping (whose fields the file's own override, as in the tool), and the
// entry list.
func (p *Pack) fill(root *yaml.Node, list string) error {
	own, err := mappingFields(root)
	if err != nil {
		return err
	}
	if h, ok := own["header"]; ok {
		if h.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: header must be a mapping", h.Line)
		}
		inc, err := mappingFields(h)
		if err != nil {
			return fmt.Errorf("header: %w", err)
		}
		delete(own, "header")
		for k, v := range own {
			inc[k] = v
		}
		own = inc
	}
	for k, n := range own {
		if k == list {
			continue
		}
		v, err := valueOf(n)
		if err != nil {
			return fmt.Errorf("field %s: %w", k, err)
		}
		p.Header[k] = v
	}
	entries, ok := own[list]
	if !ok {
		return nil // the validator reports the missing list
	}
	return p.fillEntries(entries, list)
}

func (p *Pack) fillEntries(n *yaml.Node, list string) error {
	p.Line = n.Line
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return fmt.Errorf("line %d: field %s: empty, must be a list", n.Line, list)
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: field %s: must be a list", n.Line, list)
	}
	p.Entries = make([]Entry, 0, len(n.Content))
	for i, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			return fmt.Errorf("%s[%d] (line %d): must be a mapping", list, i, item.Line)
		}
		nodes, err := mappingFields(item)
		if err != nil {
			return fmt.Errorf("%s[%d]: %w", list, i, err)
		}
		e := Entry{Index: i, Line: item.Line, Fields: make(map[string]Value, len(nodes))}
		for k, fn := range nodes {
			v, err := valueOf(fn)
			if err != nil {
				return fmt.Errorf("%s[%d] field %s: %w", list, i, k, err)
			}
			e.Fields[k] = v
		}
		p.Entries = append(p.Entries, e)
	}
	return nil
}

// mappingFields indexes a mapping's values by key, refusing duplicate and
// non-string keys: the tool loads packs with a unique-key loader, since a
// repeated key would silently drop one of the values.
func mappingFields(m *yaml.Node) (map[string]*yaml.Node, error) {
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			return nil, fmt.Errorf("line %d: key %q is not text", k.Line, k.Value)
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		out[k.Value] = m.Content[i+1]
	}
	return out, nil
}

// File is a pack file found by Files, with the directory its includes
// resolve against.
type File struct {
	Path      string
	HeaderDir string
}

// Files lists the TagPack files under root the way the TagPack tool
// collects them: every *.yaml except config.yaml, header.yaml and
// *actorpack.yaml, each paired with the directory of the nearest
// header.yaml above it (or its own directory when there is none).
// When root is a file, it is the only one.
func Files(root string) ([]File, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("tagpack files: %w", err)
	}
	if !st.IsDir() {
		return []File{{Path: root, HeaderDir: filepath.Dir(root)}}, nil
	}
	var files []File
	headers := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		switch {
		case d.IsDir() || !strings.HasSuffix(name, ".yaml"):
		case name == "header.yaml":
			headers[filepath.Dir(path)] = true
		case name == "config.yaml" || strings.HasSuffix(name, "actorpack.yaml"):
		default:
			files = append(files, File{Path: path})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tagpack files under %s: %w", root, err)
	}
	for i := range files {
		files[i].HeaderDir = nearestHeader(filepath.Dir(files[i].Path), filepath.Clean(root), headers)
	}
	return files, nil
}

func nearestHeader(dir, root string, headers map[string]bool) string {
	for d := dir; ; d = filepath.Dir(d) {
		if headers[d] {
			return d
		}
		if d == root || d == filepath.Dir(d) {
			return dir
		}
	}
}
