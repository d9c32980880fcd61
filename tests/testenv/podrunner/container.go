package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// configError keeps a container Waiting with reason CreateContainerConfigError (the worker
// retries), as a kubelet does for a missing Secret, ConfigMap or key.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// Kubelet's limits on a termination message (pkg/kubelet/kuberuntime).
const (
	maxTerminationMessage = 4096
	fallbackLogLines      = 80
	fallbackLogBytes      = 2048
)

// runContainer runs one container until it is done for good under the Pod's restartPolicy
// (OnFailure and Always restart it in place with a back-off, counting restartCount). It returns
// whether its last run exited 0.
func (w *podWorker) runContainer(ctx context.Context, c *v1.Container, vols map[string]string) bool {
	p := w.spec()
	backoff := w.r.backoff
	for {
		code := w.runOnce(ctx, c, vols)
		if w.stopped() {
			return false
		}
		ok := code == 0
		w.mu.Lock()
		init := w.ctrs[c.Name].init
		w.mu.Unlock()
		restart := p.Spec.RestartPolicy == v1.RestartPolicyAlways && !init ||
			p.Spec.RestartPolicy != v1.RestartPolicyNever && !ok
		if (init && ok) || !restart {
			return ok
		}
		w.mu.Lock()
		st := w.ctrs[c.Name]
		st.last = st.state
		st.restarts++
		st.state = v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", backoff, c.Name, p.Name, p.Namespace, p.UID)}}
		w.mu.Unlock()
		w.push(ctx)
		w.sleep(backoff)
		backoff = min(2*backoff, 10*w.r.backoff)
	}
}

type launch struct {
	argv     []string
	env      []string
	dir      string
	termFile string
	logPath  string
	imageID  string
}

// runOnce starts the container's process and waits for it (or kills it when the Pod stops).
// It returns the exit code (128+signal when killed, 128 when it could not start).
func (w *podWorker) runOnce(ctx context.Context, c *v1.Container, vols map[string]string) int32 {
	var l *launch
	lastMsg := ""
	for {
		var err error
		l, err = w.prepare(ctx, c, vols)
		if err == nil {
			break
		}
		var ce *configError
		if !errors.As(err, &ce) {
			return w.startFailed(ctx, c, err.Error())
		}
		if ce.msg != lastMsg {
			lastMsg = ce.msg
			w.mu.Lock()
			w.ctrs[c.Name].state = v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: ce.msg}}
			w.mu.Unlock()
			log.Printf("pod %s container %s: %s (retrying)", w.name(), c.Name, ce.msg)
			w.r.event(ctx, w.spec(), v1.EventTypeWarning, "Failed", "Error: "+ce.msg)
			w.push(ctx)
		}
		w.sleep(2 * time.Second)
		if w.stopped() {
			return 137
		}
	}
	logf, err := os.OpenFile(l.logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return w.startFailed(ctx, c, err.Error())
	}
	defer logf.Close()
	cmd := exec.Command(l.argv[0], l.argv[1:]...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = l.env, l.dir, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	w.mu.Lock()
	w.ctrs[c.Name].imageID = l.imageID
	w.mu.Unlock()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(logf, "podrunner: %v\n", err)
		return w.startFailed(ctx, c, fmt.Sprintf("podrunner: starting %q: %v", l.argv[0], err))
	}
	started := metav1.Now()
	pid := cmd.Process.Pid
	w.mu.Lock()
	st := w.ctrs[c.Name]
	st.state = v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: started}}
	w.procs[c.Name] = pid
	if !st.init {
		w.phase = v1.PodRunning
	}
	w.mu.Unlock()
	log.Printf("pod %s container %s: started pid %d (%s), log %s", w.name(), c.Name, pid, l.argv[0], l.logPath)
	w.r.event(ctx, w.spec(), v1.EventTypeNormal, "Started", "Started container "+c.Name)
	w.push(ctx)

	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-w.stopCh:
		w.mu.Lock()
		grace := w.grace
		w.mu.Unlock()
		if w.why() != stopShutdown {
			w.r.event(ctx, w.spec(), v1.EventTypeNormal, "Killing", "Stopping container "+c.Name)
		}
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(grace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-done
		}
	}
	// Like a container's cgroup, the process group goes with its main process.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	code := exitCode(cmd.ProcessState)
	t := &v1.ContainerStateTerminated{ExitCode: code, Reason: "Completed", StartedAt: started,
		FinishedAt: metav1.Now(), ContainerID: fmt.Sprintf("podrunner://%d", pid)}
	if code != 0 {
		t.Reason = "Error"
	}
	t.Message = terminationMessage(l.termFile, l.logPath, c.TerminationMessagePolicy, code)
	w.mu.Lock()
	delete(w.procs, c.Name)
	w.ctrs[c.Name].state = v1.ContainerState{Terminated: t}
	w.mu.Unlock()
	log.Printf("pod %s container %s: exited %d", w.name(), c.Name, code)
	if w.why() != stopShutdown && w.why() != stopGone {
		w.push(ctx)
	}
	return code
}

func (w *podWorker) startFailed(ctx context.Context, c *v1.Container, msg string) int32 {
	now := metav1.Now()
	w.mu.Lock()
	w.ctrs[c.Name].state = v1.ContainerState{Terminated: &v1.ContainerStateTerminated{
		ExitCode: 128, Reason: "StartError", Message: msg, StartedAt: metav1.Unix(0, 0), FinishedAt: now}}
	w.mu.Unlock()
	log.Printf("pod %s container %s: %s", w.name(), c.Name, msg)
	w.r.event(ctx, w.spec(), v1.EventTypeWarning, "Failed", "Error: "+msg)
	w.push(ctx)
	return 128
}

func exitCode(ps *os.ProcessState) int32 {
	if ps == nil {
		return 128
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int32(ws.Signal())
	}
	return int32(ps.ExitCode())
}

// terminationMessage: the file's first 4096 bytes; with FallbackToLogsOnError and a failure and
// an empty file, the last 80 lines of the log, at most its last 2048 bytes.
func terminationMessage(file, logPath string, policy v1.TerminationMessagePolicy, code int32) string {
	if f, err := os.Open(file); err == nil {
		b, _ := io.ReadAll(io.LimitReader(f, maxTerminationMessage))
		f.Close()
		if len(b) > 0 {
			return string(b)
		}
	}
	if policy != v1.TerminationMessageFallbackToLogsOnError || code == 0 {
		return ""
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		return ""
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	if len(lines) > fallbackLogLines {
		lines = lines[len(lines)-fallbackLogLines:]
	}
	tail := bytes.Join(lines, nil)
	if len(tail) > fallbackLogBytes {
		tail = tail[len(tail)-fallbackLogBytes:]
	}
	return string(tail)
}

// --- the container's process: root, env, argv ------------------------------------------------

// prepare lays out the container's root (every mountPath a symlink to its volume, the
// termination message file), its environment and its argv. A process cannot see a mount
// namespace, so absolute paths under a mountPath (or the termination message path) in the
// command, args, env values and workingDir are rewritten to the same path under the root.
func (w *podWorker) prepare(ctx context.Context, c *v1.Container, vols map[string]string) (*launch, error) {
	p := w.spec()
	w.mu.Lock()
	restarts := w.ctrs[c.Name].restarts
	w.mu.Unlock()
	root := filepath.Join(w.dir, "containers", c.Name, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	var prefixes []string
	mounts := append([]v1.VolumeMount{}, c.VolumeMounts...)
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].MountPath) < len(mounts[j].MountPath) })
	for _, m := range mounts {
		src, ok := vols[m.Name]
		if !ok {
			return nil, fmt.Errorf("volumeMount %q: no such volume", m.Name)
		}
		if m.SubPath != "" {
			src = filepath.Join(src, m.SubPath)
			if _, err := os.Lstat(src); os.IsNotExist(err) {
				if err := os.MkdirAll(src, 0o777); err != nil {
					return nil, err
				}
			}
		}
		mp := filepath.Clean("/" + m.MountPath)
		if mp == "/" {
			return nil, fmt.Errorf("volumeMount %q: mountPath / is not supported", m.Name)
		}
		link := filepath.Join(root, mp)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return nil, err
		}
		_ = os.Remove(link)
		if err := os.Symlink(src, link); err != nil {
			return nil, err
		}
		prefixes = append(prefixes, mp)
	}
	tp := c.TerminationMessagePath
	if tp == "" {
		tp = v1.TerminationMessagePathDefault
	}
	tp = filepath.Clean("/" + tp)
	prefixes = append(prefixes, tp)
	termFile := filepath.Join(root, tp)
	if err := os.MkdirAll(filepath.Dir(termFile), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(termFile, nil, 0o666); err != nil {
		return nil, err
	}
	rw := rewriter{root: root, prefixes: prefixes}

	img, err := w.r.resolveImage(p.Namespace, c.Image)
	if err != nil {
		return nil, &configError{fmt.Sprintf("podrunner image map: %v", err)}
	}
	var pathDirs []string
	if img.binary != "" {
		pathDirs = append(pathDirs, filepath.Dir(img.binary))
	}
	pathDirs = append(pathDirs, img.path...)
	if own := os.Getenv("PATH"); own != "" {
		pathDirs = append(pathDirs, own)
	} else {
		pathDirs = append(pathDirs, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	hostname := p.Spec.Hostname
	if hostname == "" {
		hostname = p.Name
	}
	env := newEnv()
	env.set("PATH", strings.Join(pathDirs, ":"))
	env.set("HOME", root)
	env.set("HOSTNAME", hostname)
	if u, err := url.Parse(w.r.server); err == nil && u.Hostname() != "" {
		env.set("KUBERNETES_SERVICE_HOST", u.Hostname())
		env.set("KUBERNETES_SERVICE_PORT", u.Port())
		env.set("KUBERNETES_SERVICE_PORT_HTTPS", u.Port())
	}
	for _, kv := range img.env {
		k, v, _ := strings.Cut(kv, "=")
		env.set(k, v)
	}
	if err := w.containerEnv(ctx, c, env); err != nil {
		return nil, err
	}
	for i := range env.values {
		env.values[i] = rw.rewrite(env.values[i])
	}
	env.set("PODRUNNER_ROOT", root)
	env.set("PODRUNNER_TERMINATION_MESSAGE_PATH", termFile)

	var argv []string
	for _, s := range c.Command {
		argv = append(argv, rw.rewrite(expand(s, env)))
	}
	var args []string
	for _, s := range c.Args {
		args = append(args, rw.rewrite(expand(s, env)))
	}
	imageID := "podrunner://" + c.Image
	switch {
	case len(argv) > 0:
		argv = append(argv, args...)
	case img.binary != "":
		argv = append([]string{img.binary}, args...)
	case len(args) > 0:
		argv = args // an image without an entrypoint: args are the command
	default:
		return nil, fmt.Errorf("podrunner: the container has no command and image %q has no entrypoint in the image map", c.Image)
	}
	exe, err := resolveExe(argv[0], img.binary, env.get("PATH"))
	if err != nil {
		return nil, err
	}
	if img.binary != "" {
		imageID = "podrunner://" + img.binary
	}
	argv[0] = exe
	dir := root
	if c.WorkingDir != "" {
		dir = filepath.Join(root, filepath.Clean("/"+c.WorkingDir))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	logDir := filepath.Join(w.logDir, c.Name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	return &launch{argv: argv, env: env.list(), dir: dir, termFile: termFile,
		logPath: filepath.Join(logDir, fmt.Sprintf("%d.log", restarts)), imageID: imageID}, nil
}

// resolveExe: the mapped binary stands in for a command of the same base name (/tenantdb,
// /usr/local/bin/tenantdb); an absolute path that does not exist here (it lives in the image)
// is looked up by its base name on PATH; a bare name is looked up on PATH.
func resolveExe(name, binary, path string) (string, error) {
	if binary != "" && filepath.Base(name) == filepath.Base(binary) {
		return binary, nil
	}
	if strings.Contains(name, "/") {
		if st, err := os.Stat(name); err == nil && !st.IsDir() {
			return name, nil
		}
		name = filepath.Base(name)
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		f := filepath.Join(d, name)
		if st, err := os.Stat(f); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return f, nil
		}
	}
	return "", fmt.Errorf("podrunner: exec: %q: executable file not found in $PATH", name)
}

// rewriter prefixes the container root to absolute paths under a mount (or the termination
// message path) wherever they appear as a path token: the whole value, after `=` or `:`, or
// inside a shell script after a space, quote or redirection.
type rewriter struct {
	root     string
	prefixes []string
}

func isBefore(b byte) bool { return strings.IndexByte(" \t\n=:\"'(<>|;&`,", b) >= 0 }
func isAfter(b byte) bool  { return strings.IndexByte("/ \t\n\"');|&<>:`,", b) >= 0 }

func (r rewriter) rewrite(s string) string {
	var out strings.Builder
	i := 0
	for i < len(s) {
		matched := ""
		if s[i] == '/' && (i == 0 || isBefore(s[i-1])) {
			for _, p := range r.prefixes {
				if strings.HasPrefix(s[i:], p) && (i+len(p) == len(s) || isAfter(s[i+len(p)])) && len(p) > len(matched) {
					matched = p
				}
			}
		}
		if matched != "" {
			out.WriteString(r.root)
			out.WriteString(matched)
			i += len(matched)
			continue
		}
		out.WriteByte(s[i])
		i++
	}
	return out.String()
}

// env is an ordered environment (later sets replace earlier ones in place).
type envList struct {
	names  []string
	values []string
	index  map[string]int
}

func newEnv() *envList { return &envList{index: map[string]int{}} }

func (e *envList) set(k, v string) {
	if i, ok := e.index[k]; ok {
		e.values[i] = v
		return
	}
	e.index[k] = len(e.names)
	e.names = append(e.names, k)
	e.values = append(e.values, v)
}

func (e *envList) get(k string) string {
	if i, ok := e.index[k]; ok {
		return e.values[i]
	}
	return ""
}

func (e *envList) lookup(k string) (string, bool) {
	i, ok := e.index[k]
	if !ok {
		return "", false
	}
	return e.values[i], true
}

func (e *envList) list() []string {
	out := make([]string, len(e.names))
	for i := range e.names {
		out[i] = e.names[i] + "=" + e.values[i]
	}
	return out
}

// expand: Kubernetes' $(VAR) syntax ($$ is a literal $; an unknown name is left as written).
func expand(s string, env *envList) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			out.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			out.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				out.WriteString(s[i:])
				return out.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env.lookup(name); ok {
				out.WriteString(v)
			} else {
				out.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			out.WriteByte('$')
		}
	}
	return out.String()
}

// containerEnv adds envFrom (in order) and then env, as a kubelet does.
func (w *podWorker) containerEnv(ctx context.Context, c *v1.Container, env *envList) error {
	p := w.spec()
	for _, from := range c.EnvFrom {
		var data map[string][]byte
		var err error
		switch {
		case from.ConfigMapRef != nil:
			data, err = w.configMapData(ctx, p.Namespace, from.ConfigMapRef.Name, from.ConfigMapRef.Optional)
		case from.SecretRef != nil:
			data, err = w.secretData(ctx, p.Namespace, from.SecretRef.Name, from.SecretRef.Optional)
		}
		if err != nil {
			return &configError{err.Error()}
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			env.set(from.Prefix+k, string(data[k]))
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env.set(e.Name, expand(e.Value, env))
			continue
		}
		v, ok, err := w.envValueFrom(ctx, c, e.ValueFrom)
		if err != nil {
			return err
		}
		if ok {
			env.set(e.Name, v)
		}
	}
	return nil
}

func (w *podWorker) envValueFrom(ctx context.Context, c *v1.Container, vf *v1.EnvVarSource) (string, bool, error) {
	p := w.spec()
	switch {
	case vf.SecretKeyRef != nil:
		ref := vf.SecretKeyRef
		opt := ref.Optional != nil && *ref.Optional
		data, err := w.secretData(ctx, p.Namespace, ref.Name, ref.Optional)
		if err != nil {
			return "", false, &configError{err.Error()}
		}
		b, ok := data[ref.Key]
		if !ok && !opt {
			return "", false, &configError{fmt.Sprintf("couldn't find key %s in Secret %s/%s", ref.Key, p.Namespace, ref.Name)}
		}
		return string(b), ok, nil
	case vf.ConfigMapKeyRef != nil:
		ref := vf.ConfigMapKeyRef
		opt := ref.Optional != nil && *ref.Optional
		data, err := w.configMapData(ctx, p.Namespace, ref.Name, ref.Optional)
		if err != nil {
			return "", false, &configError{err.Error()}
		}
		b, ok := data[ref.Key]
		if !ok && !opt {
			return "", false, &configError{fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", ref.Key, p.Namespace, ref.Name)}
		}
		return string(b), ok, nil
	case vf.FieldRef != nil:
		v, err := w.fieldValue(vf.FieldRef.FieldPath)
		if err != nil {
			return "", false, &configError{err.Error()}
		}
		return v, true, nil
	case vf.ResourceFieldRef != nil:
		v, err := w.resourceValue(c.Name, vf.ResourceFieldRef)
		if err != nil {
			return "", false, &configError{err.Error()}
		}
		return v, true, nil
	}
	return "", false, &configError{"podrunner: unsupported valueFrom"}
}

func (w *podWorker) fieldValue(path string) (string, error) {
	p := w.spec()
	kv := func(m map[string]string) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%q\n", k, m[k])
		}
		return b.String()
	}
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "metadata.uid":
		return string(p.UID), nil
	case "metadata.labels":
		return kv(p.Labels), nil
	case "metadata.annotations":
		return kv(p.Annotations), nil
	case "spec.nodeName":
		return w.r.node, nil
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs":
		return "127.0.0.1", nil
	}
	for _, pre := range []string{"metadata.labels['", "metadata.annotations['"} {
		if strings.HasPrefix(path, pre) && strings.HasSuffix(path, "']") {
			key := path[len(pre) : len(path)-2]
			if strings.HasPrefix(pre, "metadata.labels") {
				return p.Labels[key], nil
			}
			return p.Annotations[key], nil
		}
	}
	return "", fmt.Errorf("podrunner: unsupported fieldRef %q", path)
}

// resourceValue: the container's limit (its request for requests.*), else the node's
// allocatable, divided by the divisor and rounded up.
func (w *podWorker) resourceValue(ctrName string, ref *v1.ResourceFieldSelector) (string, error) {
	p := w.spec()
	if ref.ContainerName != "" {
		ctrName = ref.ContainerName
	}
	var res v1.ResourceRequirements
	for _, c := range append(append([]v1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name == ctrName {
			res = c.Resources
		}
	}
	kind, name, _ := strings.Cut(ref.Resource, ".")
	list := res.Limits
	if kind == "requests" {
		list = res.Requests
	}
	q, ok := list[v1.ResourceName(name)]
	if !ok {
		alloc := w.r.nodeStatus(nil).Allocatable
		if q, ok = alloc[v1.ResourceName(name)]; !ok {
			return "", fmt.Errorf("podrunner: unsupported resourceFieldRef %q", ref.Resource)
		}
	}
	div := ref.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if name == "cpu" {
		return fmt.Sprint(int64(math.Ceil(float64(q.MilliValue()) / float64(div.MilliValue())))), nil
	}
	return fmt.Sprint(int64(math.Ceil(float64(q.Value()) / float64(div.Value())))), nil
}
