package stack

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// rule says which keys a mapping in the stack file may hold. A nil rule
// accepts any value (a leaf whose form compose-go checks).
type rule struct {
	keys   map[string]*rule // allowed keys, each with the rule for its value
	anyKey *rule            // for maps keyed by a name (services, volumes)
	items  *rule            // for sequences: the rule for mapping items
	values []string         // for scalars: the allowed values, if limited
	match  *regexp.Regexp   // for scalars: the allowed form, if limited
	ext    bool             // x- extension keys are allowed here
}

var leaf *rule

// subset is the part of the compose format that crossdock runs. Anything
// else is rejected, naming the file, line and key, so that a stack never
// runs differently from what its file says.
var subset = &rule{ext: true, keys: map[string]*rule{
	"name":    leaf,
	"version": leaf,
	"services": {anyKey: &rule{ext: true, keys: map[string]*rule{
		"image":       leaf,
		"command":     leaf,
		"entrypoint":  leaf,
		"environment": leaf,
		"env_file":    leaf,
		"hostname":    leaf,
		"working_dir": leaf,
		"user":        leaf,
		"labels":      leaf,
		"restart": {match: regexp.MustCompile(
			`^(no|always|unless-stopped|on-failure(:[0-9]+)?)$`)},
		"volumes": {items: &rule{keys: map[string]*rule{
			"type":      {values: []string{"volume", "bind"}},
			"source":    leaf,
			"target":    leaf,
			"read_only": leaf,
		}}},
		"ports": {items: &rule{keys: map[string]*rule{
			"target":    leaf,
			"published": leaf,
			"host_ip":   leaf,
			"protocol":  {values: []string{"tcp", "udp"}},
		}}},
		"depends_on": {anyKey: &rule{keys: map[string]*rule{
			"condition": {values: []string{string(ServiceStarted), string(ServiceHealthy)}},
		}}},
		"healthcheck": {keys: map[string]*rule{
			"test":         leaf,
			"interval":     leaf,
			"timeout":      leaf,
			"retries":      leaf,
			"start_period": leaf,
			"disable":      leaf,
		}},
	}}},
	// Named volumes take no options: they are folders in the store.
	"volumes": {anyKey: &rule{keys: map[string]*rule{}}},
}}

// checkSubset walks the YAML document of file and returns an error naming
// file:line and the key path of the first thing outside the subset.
func checkSubset(file string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return fmt.Errorf("%s: empty stack file", file)
	}
	return subset.check(file, nil, doc.Content[0])
}

func (r *rule) check(file string, path []string, n *yaml.Node) error {
	if r == nil {
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		return r.check(file, path, n.Alias)
	case yaml.ScalarNode:
		return r.checkScalar(file, path, n)
	case yaml.SequenceNode:
		if r.items == nil {
			break
		}
		for _, item := range n.Content {
			if item.Kind == yaml.MappingNode {
				if err := r.items.check(file, path, item); err != nil {
					return err
				}
			}
		}
		return nil
	case yaml.MappingNode:
		if r.keys == nil && r.anyKey == nil {
			break
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if err := r.checkKey(file, path, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if r.anyKey != nil && n.Kind == yaml.SequenceNode {
		return nil // short forms such as depends_on: [a, b]
	}
	return fmt.Errorf("%s:%d: %s: unexpected %s", file, n.Line, strings.Join(path, "."), kind(n))
}

func (r *rule) checkKey(file string, path []string, k, v *yaml.Node) error {
	p := append(append([]string{}, path...), k.Value)
	if r.anyKey != nil {
		return r.anyKey.check(file, p, v)
	}
	if sub, ok := r.keys[k.Value]; ok {
		return sub.check(file, p, v)
	}
	if r.ext && strings.HasPrefix(k.Value, "x-") {
		return nil
	}
	if k.Value == "<<" { // YAML merge key: check what is merged in
		return r.check(file, path, v)
	}
	return fmt.Errorf("%s:%d: %s: not supported by crossdock (allowed here: %s; see docs/stack.md)",
		file, k.Line, strings.Join(p, "."), r.allowed())
}

func (r *rule) checkScalar(file string, path []string, n *yaml.Node) error {
	if len(r.values) > 0 && !contains(r.values, n.Value) {
		return fmt.Errorf("%s:%d: %s: %q is not one of %s",
			file, n.Line, strings.Join(path, "."), n.Value, strings.Join(r.values, ", "))
	}
	if r.match != nil && !r.match.MatchString(n.Value) {
		return fmt.Errorf("%s:%d: %s: %q is not supported (want no, always, unless-stopped, on-failure[:N])",
			file, n.Line, strings.Join(path, "."), n.Value)
	}
	if (r.keys != nil && len(r.keys) > 0) && n.Tag != "!!null" {
		return fmt.Errorf("%s:%d: %s: want a mapping, got %q", file, n.Line, strings.Join(path, "."), n.Value)
	}
	return nil
}

func (r *rule) allowed() string {
	if len(r.keys) == 0 {
		return "nothing"
	}
	names := make([]string, 0, len(r.keys))
	for k := range r.keys {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	}
	return "value"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
