package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// mapConfig is one source of image mappings, PATH folders and extra environment: the flags, the
// image map file, or a namespace's own map file. Line syntax (the flags use the same words):
//
//	image-binary PATTERN=BINARY   the image's entrypoint is BINARY ("-": none, run the command)
//	path DIR                      DIR goes on every process's PATH
//	env NAME=VALUE                NAME=VALUE in every process's environment
//
// PATTERN is an image reference exactly as in the Pod, its repository (no tag or digest), its
// last path segment without tag ("tenantdb" matches ghcr.io/x/tenantdb:v1), or "*".
type mapConfig struct {
	images map[string]string
	path   []string
	env    []string
}

func parseMapLines(lines []string, source string) (*mapConfig, error) {
	c := &mapConfig{images: map[string]string{}}
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch kind {
		case "image-binary":
			pat, bin, ok := strings.Cut(rest, "=")
			if !ok || pat == "" || bin == "" {
				return nil, fmt.Errorf("%s:%d: want image-binary PATTERN=BINARY", source, i+1)
			}
			c.images[strings.TrimSpace(pat)] = strings.TrimSpace(bin)
		case "path":
			if rest == "" {
				return nil, fmt.Errorf("%s:%d: want path DIR", source, i+1)
			}
			c.path = append(c.path, rest)
		case "env":
			if name, _, ok := strings.Cut(rest, "="); !ok || name == "" {
				return nil, fmt.Errorf("%s:%d: want env NAME=VALUE", source, i+1)
			}
			c.env = append(c.env, rest)
		default:
			return nil, fmt.Errorf("%s:%d: unknown directive %q (image-binary, path, env)", source, i+1, kind)
		}
	}
	return c, nil
}

func readMapFile(path string) (*mapConfig, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return &mapConfig{images: map[string]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	return parseMapLines(lines, path)
}

// imageCandidates lists the patterns an image matches, most specific first.
func imageCandidates(image string) []string {
	repo := image
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return []string{image, repo, filepath.Base(repo), "*"}
}

func (c *mapConfig) lookup(image string) (string, bool) {
	for _, p := range imageCandidates(image) {
		if b, ok := c.images[p]; ok {
			return b, true
		}
	}
	return "", false
}

// resolved is what one container start sees: the sources merged, namespace file first.
type resolved struct {
	binary string // "" when the image has no mapped entrypoint
	path   []string
	env    []string
}

func (r *Runner) resolveImage(namespace, image string) (resolved, error) {
	var sources []*mapConfig
	if r.mapDir != "" {
		c, err := readMapFile(filepath.Join(r.mapDir, namespace))
		if err != nil {
			return resolved{}, err
		}
		sources = append(sources, c)
	}
	if r.mapFile != "" {
		c, err := readMapFile(r.mapFile)
		if err != nil {
			return resolved{}, err
		}
		sources = append(sources, c)
	}
	sources = append(sources, r.static)
	var out resolved
	found := false
	for _, s := range sources {
		if b, ok := s.lookup(image); ok && !found {
			found = true
			if b != "-" {
				out.binary = b
			}
		}
		out.path = append(out.path, s.path...)
	}
	// Later entries win in an environment list: flags first, the namespace's file last.
	for i := len(sources) - 1; i >= 0; i-- {
		out.env = append(out.env, sources[i].env...)
	}
	return out, nil
}
