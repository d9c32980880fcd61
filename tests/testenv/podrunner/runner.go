package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

type Runner struct {
	client  kubernetes.Interface
	server  string
	node    string
	workdir string
	static  *mapConfig
	mapFile string
	mapDir  string
	backoff time.Duration

	mu      sync.Mutex
	workers map[string]*podWorker // by Pod UID
	wg      sync.WaitGroup
}

const k8sVersion = "v1.36.3"

func (r *Runner) Run(ctx context.Context) error {
	if err := r.registerNode(ctx); err != nil {
		return fmt.Errorf("registering node %s: %w", r.node, err)
	}
	go r.heartbeat(ctx)

	factory := informers.NewSharedInformerFactory(r.client, 0)
	pods := factory.Core().V1().Pods().Informer()
	_, err := pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { r.onPod(ctx, o.(*v1.Pod)) },
		UpdateFunc: func(_, o any) { r.onPod(ctx, o.(*v1.Pod)) },
		DeleteFunc: func(o any) {
			if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if p, ok := o.(*v1.Pod); ok {
				r.onGone(p)
			}
		},
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), pods.HasSynced) {
		return ctx.Err()
	}
	log.Printf("node %s is Ready; binding and running pods (workdir %s)", r.node, r.workdir)
	// Every 10 s the cache is walked again, so a binding that failed (the API server was down)
	// is retried.
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			for _, o := range pods.GetStore().List() {
				if p := o.(*v1.Pod); p.Spec.NodeName == "" {
					r.onPod(ctx, p)
				}
			}
		}
	}
}

func (r *Runner) onPod(ctx context.Context, p *v1.Pod) {
	if p.Spec.NodeName == "" {
		if p.DeletionTimestamp == nil && (p.Spec.SchedulerName == "" || p.Spec.SchedulerName == v1.DefaultSchedulerName) {
			go r.bind(ctx, p)
		}
		return
	}
	if p.Spec.NodeName != r.node {
		return
	}
	r.mu.Lock()
	w, ok := r.workers[string(p.UID)]
	if !ok {
		if ctx.Err() != nil {
			r.mu.Unlock()
			return
		}
		w = newPodWorker(r, p)
		r.workers[string(p.UID)] = w
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			w.run(ctx)
			r.mu.Lock()
			delete(r.workers, string(p.UID))
			r.mu.Unlock()
		}()
	}
	r.mu.Unlock()
	w.update(p)
}

func (r *Runner) onGone(p *v1.Pod) {
	r.mu.Lock()
	w := r.workers[string(p.UID)]
	r.mu.Unlock()
	if w != nil {
		w.markGone()
	}
}

// bind is the scheduler: one node, so every Pod goes to it (nodeSelector, affinity, taints and
// resources are not considered).
func (r *Runner) bind(ctx context.Context, p *v1.Pod) {
	b := &v1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
		Target:     v1.ObjectReference{Kind: "Node", Name: r.node},
	}
	err := r.client.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	switch {
	case err == nil:
		log.Printf("bound %s/%s to %s", p.Namespace, p.Name, r.node)
		r.event(ctx, p, v1.EventTypeNormal, "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, r.node))
	case apierrors.IsConflict(err), apierrors.IsNotFound(err):
		// already bound (a repeated informer event) or gone
	default:
		log.Printf("binding %s/%s: %v", p.Namespace, p.Name, err)
	}
}

func (r *Runner) event(ctx context.Context, p *v1.Pod, typ, reason, msg string) {
	now := metav1.Now()
	ev := &v1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: p.Name + ".", Namespace: p.Namespace},
		InvolvedObject: v1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name,
			UID: p.UID, APIVersion: "v1", ResourceVersion: p.ResourceVersion},
		Reason: reason, Message: msg, Type: typ, Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source:              v1.EventSource{Component: "kubelet", Host: r.node},
		ReportingController: "podrunner", ReportingInstance: r.node,
	}
	if _, err := r.client.CoreV1().Events(p.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil && ctx.Err() == nil {
		log.Printf("event %s on %s/%s: %v", reason, p.Namespace, p.Name, err)
	}
}

func (r *Runner) killAll() {
	r.mu.Lock()
	ws := make([]*podWorker, 0, len(r.workers))
	for _, w := range r.workers {
		ws = append(ws, w)
	}
	r.mu.Unlock()
	for _, w := range ws {
		w.killNow()
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// --- the Node and its heartbeat ------------------------------------------------------------

func memoryBytes() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 8 << 30
}

func (r *Runner) nodeStatus(prev []v1.NodeCondition) v1.NodeStatus {
	now := metav1.Now()
	res := v1.ResourceList{
		v1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		v1.ResourceMemory:           *resource.NewQuantity(memoryBytes(), resource.BinarySI),
		v1.ResourcePods:             resource.MustParse("110"),
		v1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	cond := func(t v1.NodeConditionType, s v1.ConditionStatus, reason, msg string) v1.NodeCondition {
		c := v1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		for _, p := range prev {
			if p.Type == t && p.Status == s {
				c.LastTransitionTime = p.LastTransitionTime
			}
		}
		return c
	}
	host, _ := os.Hostname()
	return v1.NodeStatus{
		Capacity:    res,
		Allocatable: res,
		Phase:       v1.NodeRunning,
		Conditions: []v1.NodeCondition{
			cond(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory", "podrunner has sufficient memory available"),
			cond(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure", "podrunner has no disk pressure"),
			cond(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID", "podrunner has sufficient PID available"),
			cond(v1.NodeReady, v1.ConditionTrue, "KubeletReady", "podrunner is posting ready status"),
		},
		Addresses:       []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "127.0.0.1"}, {Type: v1.NodeHostName, Address: r.node}},
		DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: 0}},
		NodeInfo: v1.NodeSystemInfo{
			MachineID: "podrunner", SystemUUID: "podrunner", BootID: strconv.Itoa(os.Getpid()),
			KernelVersion: "podrunner", OSImage: "podrunner on " + host,
			ContainerRuntimeVersion: "podrunner://" + k8sVersion,
			KubeletVersion:          k8sVersion, KubeProxyVersion: "", OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH,
		},
	}
}

func (r *Runner) registerNode(ctx context.Context) error {
	nodes := r.client.CoreV1().Nodes()
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: r.node, Labels: map[string]string{
		"kubernetes.io/hostname": r.node, "kubernetes.io/os": runtime.GOOS, "kubernetes.io/arch": runtime.GOARCH,
		"node.kubernetes.io/instance-type": "podrunner",
	}}}
	if _, err := nodes.Create(ctx, n, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return r.postNodeStatus(ctx)
}

func (r *Runner) postNodeStatus(ctx context.Context) error {
	n, err := r.client.CoreV1().Nodes().Get(ctx, r.node, metav1.GetOptions{})
	if err != nil {
		return err
	}
	n.Status = r.nodeStatus(n.Status.Conditions)
	_, err = r.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	return err
}

// heartbeat renews the node's Lease every 10 s and posts its status every 40 s, as a kubelet
// does, so the node stays Ready for anything that watches it.
func (r *Runner) heartbeat(ctx context.Context) {
	leases := r.client.CoordinationV1().Leases(v1.NamespaceNodeLease)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		now := metav1.NewMicroTime(time.Now())
		l, err := leases.Get(ctx, r.node, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			l = &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: r.node, Namespace: v1.NamespaceNodeLease},
				Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(r.node), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now},
			}
			_, err = leases.Create(ctx, l, metav1.CreateOptions{})
		} else if err == nil {
			l.Spec.HolderIdentity = ptr.To(r.node)
			l.Spec.LeaseDurationSeconds = ptr.To[int32](40)
			l.Spec.RenewTime = &now
			_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			log.Printf("lease: %v", err)
		}
		if i%4 == 3 {
			if err := r.postNodeStatus(ctx); err != nil && ctx.Err() == nil {
				log.Printf("node status: %v", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
