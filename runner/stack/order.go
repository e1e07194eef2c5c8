package stack

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// startOrder sorts services so that each comes after those it depends on,
// keeping name order among equals. It rejects unknown services and cycles.
func startOrder(path string, services []Service) ([]Service, error) {
	byName := map[string]Service{}
	for _, s := range services {
		byName[s.Name] = s
	}
	for _, s := range services {
		for dep, c := range s.DependsOn {
			d, ok := byName[dep]
			if !ok {
				return nil, fmt.Errorf("%s: services.%s.depends_on: no service %q", path, s.Name, dep)
			}
			if c == ServiceHealthy && d.Health == nil {
				return nil, fmt.Errorf("%s: services.%s.depends_on.%s: service_healthy, but %s has no healthcheck",
					path, s.Name, dep, dep)
			}
		}
	}

	var out []Service
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("%s: depends_on cycle: %s", path, strings.Join(append(chain, name), " -> "))
		}
		state[name] = 1
		s := byName[name]
		for _, dep := range sortedKeys(s.DependsOn) {
			if err := visit(dep, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, s)
		return nil
	}
	for _, s := range services {
		if err := visit(s.Name, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func yamlUnmarshal(data []byte, v any) error { return yaml.Unmarshal(data, v) }
