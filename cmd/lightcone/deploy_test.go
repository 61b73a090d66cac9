package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The deploy examples (deploy/) cannot run here (no container runtime), so
// this checks what can go stale silently: that they parse, and that every
// node's command line is one `lightcone server` accepts, with the
// passphrase and the environment's variables put in.

var deployVars = strings.NewReplacer(
	"${LIGHTCONE_PASSPHRASE:?set LIGHTCONE_PASSPHRASE (lightcone gen-passphrase)}", "a-passphrase",
	"$(LIGHTCONE_PASSPHRASE)", "a-passphrase",
	"$(POD_NAME)", "lightcone-0",
	"$(POD_NAMESPACE)", "default",
)

func checkServerArgs(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "server" {
		t.Fatalf("%s: the command is %q, want lightcone server ...", where, args)
	}
	for i := range args {
		args[i] = deployVars.Replace(args[i])
		if strings.Contains(args[i], "$") {
			t.Fatalf("%s: %q has a variable this test does not know", where, args[i])
		}
	}
	set, err := parseServerArgs(args[1:])
	if err != nil {
		t.Fatalf("%s: lightcone server %s: %v", where, strings.Join(args[1:], " "), err)
	}
	if set.Get("dir") != "/data" || set.Get("bind") != "0.0.0.0" {
		t.Fatalf("%s: dir %q bind %q, want /data (the volume) and 0.0.0.0", where, set.Get("dir"), set.Get("bind"))
	}
}

func readYAMLDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []map[string]any
	dec := yaml.NewDecoder(f)
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if errors.Is(err, io.EOF) {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("want a list, got %T", v)
	}
	out := make([]string, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			t.Fatalf("item %d is %T, want a string", i, x)
		}
		out[i] = s
	}
	return out
}

func TestDockerComposeNodes(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "docker-compose.yml")
	docs := readYAMLDocs(t, path)
	services, _ := docs[0]["services"].(map[string]any)
	if len(services) != 3 {
		t.Fatalf("%s: %d services, want 3 nodes", path, len(services))
	}
	for name, v := range services {
		svc := v.(map[string]any)
		args := strs(t, svc["command"])
		checkServerArgs(t, path+" "+name, args)
		set, _ := parseServerArgs(args[1:])
		if got := set.Get("cluster-advertise"); got != name+":16379" {
			t.Fatalf("%s: advertises %q, want its service name and the cluster port", name, got)
		}
		if set.Get("join") == "" {
			t.Fatalf("%s: no --join", name)
		}
	}
}

func TestKubernetesStatefulSet(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "kubernetes", "lightcone.yaml")
	found := false
	for _, d := range readYAMLDocs(t, path) {
		if d["kind"] != "StatefulSet" {
			continue
		}
		found = true
		spec := d["spec"].(map[string]any)
		pod := spec["template"].(map[string]any)["spec"].(map[string]any)
		c := pod["containers"].([]any)[0].(map[string]any)
		args := strs(t, c["args"])
		checkServerArgs(t, path, args)
		set, _ := parseServerArgs(args[1:])
		if !strings.HasPrefix(set.Get("join"), spec["serviceName"].(string)+".") {
			t.Fatalf("--join %q does not name the headless service %q", set.Get("join"), spec["serviceName"])
		}
	}
	if !found {
		t.Fatalf("%s: no StatefulSet", path)
	}
}

func TestDockerfileCommand(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CMD "); ok {
			var args []string
			if err := yaml.Unmarshal([]byte(v), &args); err != nil {
				t.Fatalf("CMD %s: %v", v, err)
			}
			checkServerArgs(t, "Dockerfile CMD", args)
			return
		}
	}
	t.Fatal("the Dockerfile has no CMD")
}
