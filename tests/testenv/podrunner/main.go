// podrunner: a stand-in kubelet (and scheduler) for the test cluster of scripts/testenv.
//
// There is no container runtime in the test environment. podrunner registers one Node, binds
// every unscheduled Pod to it and runs the Pod's containers as local processes (the image is
// ignored except for a configurable image -> binary mapping), then writes the Pod's status as a
// kubelet would, so that the real job and cronjob controllers of kube-controller-manager drive
// Jobs to Complete or Failed. Test tooling only; see tests/testenv/README.md for what it emulates
// and what it does not.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var (
		kubeconfig  = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the runner's identity (a node: system:node:<name>)")
		nodeName    = flag.String("node-name", "tenantdb-podrunner", "name of the one Node it registers")
		workdir     = flag.String("workdir", "", "where pods' volumes, roots, logs and claims live (required)")
		imageMap    = flag.String("image-map", "", "image map file, re-read at every container start (see README)")
		imageMapDir = flag.String("image-map-dir", "", "folder of per-namespace image map files named after the namespace, read before --image-map")
		backoff     = flag.Duration("restart-backoff", time.Second, "first back-off of a restarted container (doubles up to 10x)")
		imageBinary multiFlag
		pathDirs    multiFlag
		extraEnv    multiFlag
	)
	flag.Var(&imageBinary, "image-binary", "PATTERN=BINARY: an image (exact, repository, last path segment, or *) whose entrypoint is BINARY (repeatable)")
	flag.Var(&pathDirs, "path", "a folder put on the PATH of every process (repeatable)")
	flag.Var(&extraEnv, "env", "NAME=VALUE given to every process before the container's own env (repeatable)")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds | log.LUTC)
	log.SetPrefix("[podrunner] ")
	if *workdir == "" {
		log.Fatal("--workdir is required")
	}
	wd, err := filepath.Abs(*workdir)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range []string{"pods", "logs", "claims"} {
		if err := os.MkdirAll(filepath.Join(wd, d), 0o755); err != nil {
			log.Fatal(err)
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	cfg.UserAgent = "podrunner/" + *nodeName
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	static, err := parseMapLines(append(append(prefixed("image-binary", imageBinary), prefixed("path", pathDirs)...), prefixed("env", extraEnv)...), "flags")
	if err != nil {
		log.Fatal(err)
	}
	r := &Runner{
		client:  client,
		server:  cfg.Host,
		node:    *nodeName,
		workdir: wd,
		static:  static,
		mapFile: *imageMap,
		mapDir:  *imageMapDir,
		backoff: *backoff,
		workers: map[string]*podWorker{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sig
		log.Printf("%v: killing the processes of every pod and exiting", s)
		cancel()
	}()
	if err := r.Run(ctx); err != nil {
		log.Fatal(err)
	}
	r.killAll()
	log.Print("stopped")
}

func prefixed(kind string, values []string) []string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		out = append(out, fmt.Sprintf("%s %s", kind, v))
	}
	return out
}
