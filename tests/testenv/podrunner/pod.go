package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// Why a pod worker stops its processes.
const (
	stopDeadline = "DeadlineExceeded"
	stopDeleted  = "deleted"
	stopGone     = "gone"
	stopShutdown = "shutdown"
)

type ctrState struct {
	name     string
	image    string
	imageID  string
	init     bool
	state    v1.ContainerState
	last     v1.ContainerState
	restarts int32
}

// podWorker runs one Pod: volumes, init containers in order, then the containers, and keeps its
// status. Its fields under mu are the kubelet's view of the Pod; push() writes them to the API.
type podWorker struct {
	r      *Runner
	uid    types.UID
	dir    string // $workdir/pods/<ns>_<name>_<uid>: volumes/ and containers/<name>/root/
	logDir string // $workdir/logs/<ns>_<name>_<uid>/<container>/<restart>.log (kept)

	mu           sync.Mutex
	pod          *v1.Pod
	phase        v1.PodPhase
	reason       string
	message      string
	startTime    *metav1.Time
	volumesReady bool
	initDone     bool
	ctrs         map[string]*ctrState
	procs        map[string]int // running container -> pid (= process group id)

	stopOnce sync.Once
	stopCh   chan struct{}
	stopWhy  string
	grace    time.Duration
	deleting bool
	gone     bool
	notify   chan struct{}
	pushMu   sync.Mutex
}

func newPodWorker(r *Runner, p *v1.Pod) *podWorker {
	base := fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID)
	w := &podWorker{
		r: r, uid: p.UID, pod: p,
		dir:    filepath.Join(r.workdir, "pods", base),
		logDir: filepath.Join(r.workdir, "logs", base),
		ctrs:   map[string]*ctrState{}, procs: map[string]int{},
		stopCh: make(chan struct{}), notify: make(chan struct{}, 1),
		phase: v1.PodPending,
	}
	waiting := "ContainerCreating"
	if len(p.Spec.InitContainers) > 0 {
		waiting = "PodInitializing"
	}
	for _, c := range p.Spec.InitContainers {
		w.ctrs[c.Name] = &ctrState{name: c.Name, image: c.Image, init: true,
			state: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: "PodInitializing"}}}
	}
	for _, c := range p.Spec.Containers {
		w.ctrs[c.Name] = &ctrState{name: c.Name, image: c.Image,
			state: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: waiting}}}
	}
	return w
}

func (w *podWorker) spec() *v1.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod
}

func (w *podWorker) name() string {
	p := w.spec()
	return p.Namespace + "/" + p.Name
}

func (w *podWorker) poke() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// update takes the informer's latest copy; a deletionTimestamp starts the graceful kill.
func (w *podWorker) update(p *v1.Pod) {
	w.mu.Lock()
	w.pod = p
	first := p.DeletionTimestamp != nil && !w.deleting
	if first {
		w.deleting = true
	}
	w.mu.Unlock()
	if first {
		grace := time.Duration(ptr.Deref(p.DeletionGracePeriodSeconds, 30)) * time.Second
		w.stop(stopDeleted, grace)
	}
	w.poke()
}

func (w *podWorker) markGone() {
	w.mu.Lock()
	w.gone = true
	w.mu.Unlock()
	w.stop(stopGone, 0)
	w.poke()
}

func (w *podWorker) killNow() { w.stop(stopShutdown, 0) }

func (w *podWorker) stop(why string, grace time.Duration) {
	w.stopOnce.Do(func() {
		w.mu.Lock()
		w.stopWhy, w.grace = why, grace
		w.mu.Unlock()
		close(w.stopCh)
	})
}

func (w *podWorker) stopped() bool {
	select {
	case <-w.stopCh:
		return true
	default:
		return false
	}
}

func (w *podWorker) why() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopWhy
}

func (w *podWorker) sleep(d time.Duration) {
	select {
	case <-w.stopCh:
	case <-time.After(d):
	}
}

func (w *podWorker) run(ctx context.Context) {
	p := w.spec()
	if p.Status.Phase == v1.PodSucceeded || p.Status.Phase == v1.PodFailed {
		w.mu.Lock()
		w.phase = p.Status.Phase
		w.mu.Unlock()
		w.awaitDeletion(ctx)
		return
	}
	if w.adoptLost(p) {
		w.push(ctx)
		w.awaitDeletion(ctx)
		return
	}
	w.mu.Lock()
	w.startTime = p.Status.StartTime
	if w.startTime == nil {
		w.startTime = ptr.To(metav1.Now())
	}
	start := w.startTime.Time
	w.mu.Unlock()
	w.push(ctx)
	if ads := p.Spec.ActiveDeadlineSeconds; ads != nil {
		grace := time.Duration(ptr.Deref(p.Spec.TerminationGracePeriodSeconds, 30)) * time.Second
		t := time.AfterFunc(time.Until(start.Add(time.Duration(*ads)*time.Second)), func() { w.stop(stopDeadline, grace) })
		defer t.Stop()
	}
	vols, ok := w.volumes(ctx)
	if !ok {
		w.finishStopped(ctx)
		return
	}
	for i := range p.Spec.InitContainers {
		if !w.runContainer(ctx, &p.Spec.InitContainers[i], vols) {
			if w.stopped() {
				w.finishStopped(ctx)
				return
			}
			w.setPhase(v1.PodFailed, "", "")
			w.push(ctx)
			w.awaitDeletion(ctx)
			return
		}
	}
	w.mu.Lock()
	w.initDone = true
	w.mu.Unlock()
	var wg sync.WaitGroup
	for i := range p.Spec.Containers {
		wg.Add(1)
		go func(c *v1.Container) {
			defer wg.Done()
			w.runContainer(ctx, c, vols)
		}(&p.Spec.Containers[i])
	}
	wg.Wait()
	if w.stopped() {
		w.finishStopped(ctx)
		return
	}
	w.setPhase(w.terminalPhase(), "", "")
	w.push(ctx)
	log.Printf("pod %s: %s", w.name(), w.phaseNow())
	w.awaitDeletion(ctx)
}

// adoptLost handles a Pod this node ran before the runner restarted: its processes are gone.
// restartPolicy Never: the Pod fails; otherwise it is run again with restartCount carried on.
func (w *podWorker) adoptLost(p *v1.Pod) bool {
	all := append(append([]v1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
	lost := false
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cs := range all {
		c := w.ctrs[cs.Name]
		if c == nil || (cs.State.Running == nil && cs.State.Terminated == nil) {
			continue
		}
		lost = true
		c.restarts = cs.RestartCount + 1
		c.last = cs.State
		if cs.State.Running != nil {
			c.last = v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 137, Reason: "Error",
				Message: "podrunner restarted: the process was lost", StartedAt: cs.State.Running.StartedAt, FinishedAt: metav1.Now()}}
		}
	}
	if !lost || p.Spec.RestartPolicy != v1.RestartPolicyNever {
		return false
	}
	w.startTime = p.Status.StartTime
	for _, c := range w.ctrs {
		if c.last.Terminated != nil {
			c.state, c.last = c.last, v1.ContainerState{}
			c.restarts--
		}
	}
	w.phase, w.message = v1.PodFailed, "podrunner restarted while the pod ran"
	return true
}

func (w *podWorker) volumes(ctx context.Context) (map[string]string, bool) {
	lastMsg := ""
	for !w.stopped() {
		vols, err := w.prepareVolumes(ctx)
		if err == nil {
			w.mu.Lock()
			w.volumesReady = true
			w.mu.Unlock()
			return vols, true
		}
		var ve *volumeError
		if !errors.As(err, &ve) {
			err = &volumeError{err.Error()}
		}
		if msg := err.Error(); msg != lastMsg {
			lastMsg = msg
			log.Printf("pod %s: volumes: %s (retrying)", w.name(), msg)
			w.r.event(ctx, w.spec(), v1.EventTypeWarning, "FailedMount", msg)
		}
		w.sleep(2 * time.Second)
	}
	return nil, false
}

func (w *podWorker) setPhase(ph v1.PodPhase, reason, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phase, w.reason, w.message = ph, reason, msg
}

func (w *podWorker) phaseNow() v1.PodPhase {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.phase
}

// terminalPhase: Succeeded when every container ended with 0 (after the init containers did).
func (w *podWorker) terminalPhase() v1.PodPhase {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.initDone {
		return v1.PodFailed
	}
	for _, c := range w.ctrs {
		if c.init {
			continue
		}
		if c.state.Terminated == nil || c.state.Terminated.ExitCode != 0 {
			return v1.PodFailed
		}
	}
	return v1.PodSucceeded
}

func (w *podWorker) finishStopped(ctx context.Context) {
	switch w.why() {
	case stopShutdown:
		return
	case stopGone:
		w.cleanup()
		return
	case stopDeadline:
		log.Printf("pod %s: active deadline exceeded, processes killed", w.name())
		w.r.event(ctx, w.spec(), v1.EventTypeNormal, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
		w.setPhase(v1.PodFailed, "DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
		w.push(ctx)
		w.awaitDeletion(ctx)
	case stopDeleted:
		w.setPhase(w.terminalPhase(), "", "")
		w.push(ctx)
		w.deleteFinal(ctx)
	}
}

// awaitDeletion: a finished Pod stays until deleted; then it is removed at once (nothing runs).
func (w *podWorker) awaitDeletion(ctx context.Context) {
	for {
		w.mu.Lock()
		deleting, gone := w.deleting, w.gone
		w.mu.Unlock()
		if gone {
			w.cleanup()
			return
		}
		if deleting {
			w.deleteFinal(ctx)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-w.notify:
		}
	}
}

func (w *podWorker) deleteFinal(ctx context.Context) {
	p := w.spec()
	for try := 0; ; try++ {
		err := w.r.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &w.uid}})
		if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) || ctx.Err() != nil {
			break
		}
		w.mu.Lock()
		gone := w.gone
		w.mu.Unlock()
		if gone || try == 300 {
			log.Printf("pod %s: final delete: %v (giving up)", w.name(), err)
			break
		}
		if try%30 == 0 {
			log.Printf("pod %s: final delete: %v (retrying)", w.name(), err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	w.cleanup()
}

// cleanup removes the Pod's volumes and roots; logs and claims stay.
func (w *podWorker) cleanup() {
	if err := os.RemoveAll(w.dir); err != nil {
		log.Printf("pod %s: removing %s: %v", w.name(), w.dir, err)
	}
}

// --- status ----------------------------------------------------------------------------------

func (w *podWorker) push(ctx context.Context) {
	w.pushMu.Lock()
	defer w.pushMu.Unlock()
	p := w.spec()
	pods := w.r.client.CoreV1().Pods(p.Namespace)
	attempt := func() error {
		cur, err := pods.Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != w.uid {
			return nil
		}
		if cur.Status.Phase == v1.PodSucceeded || cur.Status.Phase == v1.PodFailed {
			return nil // terminal phases are final
		}
		cur.Status = w.buildStatus(cur.Status)
		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	}
	// A status is never dropped: while the API server is down (failure tests stop it) the
	// update is retried, for up to 5 minutes.
	for try := 0; ; try++ {
		err := retry.RetryOnConflict(retry.DefaultBackoff, attempt)
		if err == nil || apierrors.IsNotFound(err) || ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		gone := w.gone
		w.mu.Unlock()
		if gone || try == 300 {
			log.Printf("pod %s: status: %v (giving up)", w.name(), err)
			return
		}
		if try%30 == 0 {
			log.Printf("pod %s: status: %v (retrying)", w.name(), err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (w *podWorker) buildStatus(cur v1.PodStatus) v1.PodStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := *cur.DeepCopy()
	st.Phase, st.Reason, st.Message = w.phase, w.reason, w.message
	st.HostIP, st.PodIP = "127.0.0.1", "127.0.0.1"
	st.HostIPs = []v1.HostIP{{IP: "127.0.0.1"}}
	st.PodIPs = []v1.PodIP{{IP: "127.0.0.1"}}
	st.StartTime = w.startTime
	p := w.pod
	st.InitContainerStatuses = nil
	for _, c := range p.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, w.containerStatus(w.ctrs[c.Name]))
	}
	st.ContainerStatuses = nil
	var unready, incomplete []string
	for _, c := range p.Spec.Containers {
		cs := w.containerStatus(w.ctrs[c.Name])
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		if !cs.Ready {
			unready = append(unready, c.Name)
		}
	}
	for _, cs := range st.InitContainerStatuses {
		if !cs.Ready {
			incomplete = append(incomplete, cs.Name)
		}
	}
	terminal := w.phase == v1.PodSucceeded || w.phase == v1.PodFailed
	var conds []v1.PodCondition
	add := func(t v1.PodConditionType, ok bool, reason, msg string) {
		c := v1.PodCondition{Type: t, Status: v1.ConditionFalse, Reason: reason, Message: msg}
		if ok {
			c.Status, c.Reason, c.Message = v1.ConditionTrue, "", ""
		}
		conds = append(conds, c)
	}
	add(v1.PodReadyToStartContainers, w.volumesReady && !terminal, "", "")
	initOK := w.initDone || len(incomplete) == 0
	if terminal && initOK {
		add(v1.PodInitialized, true, "", "")
	} else {
		add(v1.PodInitialized, initOK, "ContainersNotInitialized", fmt.Sprintf("containers with incomplete status: %v", incomplete))
	}
	readyReason, readyMsg := "ContainersNotReady", fmt.Sprintf("containers with unready status: %v", unready)
	if terminal {
		readyReason, readyMsg = "PodCompleted", ""
	}
	add(v1.ContainersReady, len(unready) == 0 && !terminal, readyReason, readyMsg)
	add(v1.PodReady, len(unready) == 0 && !terminal, readyReason, readyMsg)
	now := metav1.Now()
	owned := map[v1.PodConditionType]bool{}
	for i := range conds {
		owned[conds[i].Type] = true
		conds[i].LastTransitionTime = now
		for _, old := range cur.Conditions {
			if old.Type == conds[i].Type && old.Status == conds[i].Status {
				conds[i].LastTransitionTime = old.LastTransitionTime
			}
		}
	}
	var kept []v1.PodCondition
	for _, old := range cur.Conditions {
		if !owned[old.Type] {
			kept = append(kept, old)
		}
	}
	st.Conditions = append(kept, conds...)
	sort.SliceStable(st.Conditions, func(i, j int) bool { return condOrder(st.Conditions[i].Type) < condOrder(st.Conditions[j].Type) })
	if !terminal {
		st.Reason, st.Message = "", ""
	}
	return st
}

func condOrder(t v1.PodConditionType) int {
	switch t {
	case v1.PodReadyToStartContainers:
		return 0
	case v1.PodInitialized:
		return 1
	case v1.PodReady:
		return 2
	case v1.ContainersReady:
		return 3
	case v1.PodScheduled:
		return 4
	}
	return 5
}

func (w *podWorker) containerStatus(c *ctrState) v1.ContainerStatus {
	cs := v1.ContainerStatus{
		Name: c.name, Image: c.image, ImageID: c.imageID,
		State: *c.state.DeepCopy(), LastTerminationState: *c.last.DeepCopy(), RestartCount: c.restarts,
	}
	if c.state.Running != nil || c.state.Terminated != nil {
		cs.ContainerID = fmt.Sprintf("podrunner://%s-%s-%d", string(w.uid)[:8], c.name, c.restarts)
	}
	if c.init {
		cs.Ready = c.state.Terminated != nil && c.state.Terminated.ExitCode == 0
		cs.Started = ptr.To(c.state.Running != nil)
	} else {
		cs.Ready = c.state.Running != nil
		cs.Started = ptr.To(c.state.Running != nil)
	}
	return cs
}
