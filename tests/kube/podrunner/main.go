// Command podrunner stands in for kube-scheduler and kubelet in the test
// cluster: it registers one fake Ready Node, binds unscheduled Pods to it,
// reports bound Pods Running and Ready (or, asked by a test annotation, never
// Ready, or exited), and finishes the deletion of Pods that have a
// deletionTimestamp (grace 0), as a kubelet would. No containers run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

type runner struct {
	cs   kubernetes.Interface
	node string
	q    workqueue.TypedRateLimitingInterface[string]
	pods cache.Indexer
}

func nodeObject(name string) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}

func readyConditions(now metav1.Time) []corev1.NodeCondition {
	return []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
		Reason: "PodrunnerReady", LastHeartbeatTime: now, LastTransitionTime: now}}
}

// heartbeat keeps the Node Ready and its Lease fresh, so that the node
// lifecycle controller never taints it and evicts the pods.
func (r *runner) heartbeat(ctx context.Context) error {
	now := metav1.Now()
	n, err := r.cs.CoreV1().Nodes().Get(ctx, r.node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		n, err = r.cs.CoreV1().Nodes().Create(ctx, nodeObject(r.node), metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.Status.Conditions = readyConditions(now)
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	if _, err = r.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node status: %w", err)
	}
	return r.renewLease(ctx, now)
}

func (r *runner) renewLease(ctx context.Context, now metav1.Time) error {
	leases := r.cs.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	mt := metav1.NewMicroTime(now.Time)
	secs := int32(40)
	l, err := leases.Get(ctx, r.node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l = &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: r.node},
			Spec: coordv1.LeaseSpec{HolderIdentity: &r.node, LeaseDurationSeconds: &secs, RenewTime: &mt}}
		_, err = leases.Create(ctx, l, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return fmt.Errorf("lease: %w", err)
	}
	l.Spec.RenewTime = &mt
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}

func (r *runner) bind(ctx context.Context, p *corev1.Pod) error {
	b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		Target: corev1.ObjectReference{Kind: "Node", Name: r.node}}
	return r.cs.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{})
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func (r *runner) markRunning(ctx context.Context, p *corev1.Pod) error {
	now := metav1.Now()
	p = p.DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.HostIP = "127.0.0.1"
	p.Status.PodIP = "127.0.0.1"
	p.Status.StartTime = &now
	p.Status.Conditions = nil
	ready := p.Annotations[annotReady] != "false"
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized,
		corev1.ContainersReady, corev1.PodReady} {
		st := corev1.ConditionTrue
		if !ready && (t == corev1.ContainersReady || t == corev1.PodReady) {
			st = corev1.ConditionFalse
		}
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{
			Type: t, Status: st, LastTransitionTime: now})
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "podrunner://" + c.Image, Ready: ready,
			Started: func() *bool { b := true; return &b }(),
			State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	_, err := r.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// Test-only annotations on a Pod (its template's, for a Deployment or Job):
// podrunner.sealsync.dev/ready "false" leaves it Running but never Ready
// (a Deployment that never becomes available); podrunner.sealsync.dev/exit
// "0" or "N" ends its containers with that code, phase Succeeded or Failed
// (a Job that completes or fails).
const (
	annotReady = "podrunner.sealsync.dev/ready"
	annotExit  = "podrunner.sealsync.dev/exit"
)

// settled: the Pod already shows what its annotations ask for.
func settled(p *corev1.Pod) bool {
	if _, ok := p.Annotations[annotExit]; ok {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	}
	if p.Annotations[annotReady] == "false" {
		return p.Status.Phase == corev1.PodRunning
	}
	return podReady(p)
}

func (r *runner) markExited(ctx context.Context, p *corev1.Pod, code int32) error {
	now := metav1.Now()
	p = p.DeepCopy()
	p.Status.Phase = corev1.PodSucceeded
	if code != 0 {
		p.Status.Phase = corev1.PodFailed
	}
	p.Status.HostIP, p.Status.PodIP, p.Status.StartTime = "127.0.0.1", "127.0.0.1", &now
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled,
		Status: corev1.ConditionTrue, LastTransitionTime: now}}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "podrunner://" + c.Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: code, StartedAt: now, FinishedAt: now}},
		})
	}
	_, err := r.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// run moves a bound Pod to what its annotations ask for (Running and Ready
// without any).
func (r *runner) run(ctx context.Context, p *corev1.Pod) error {
	if v, ok := p.Annotations[annotExit]; ok {
		var code int32
		if _, err := fmt.Sscanf(v, "%d", &code); err != nil {
			code = 1
		}
		return r.markExited(ctx, p, code)
	}
	return r.markRunning(ctx, p)
}

func (r *runner) sync(ctx context.Context, key string) error {
	obj, exists, err := r.pods.GetByKey(key)
	if err != nil || !exists {
		return err
	}
	p := obj.(*corev1.Pod)
	switch {
	case p.DeletionTimestamp != nil:
		zero := int64(0)
		err = r.cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name,
			metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			err = nil
		}
	case p.Spec.NodeName == "":
		err = r.bind(ctx, p)
	case p.Spec.NodeName == r.node && !settled(p):
		err = r.run(ctx, p)
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func (r *runner) worker(ctx context.Context) {
	for {
		key, quit := r.q.Get()
		if quit {
			return
		}
		if err := r.sync(ctx, key); err != nil {
			log.Printf("podrunner: %s: %v", key, err)
			r.q.AddRateLimited(key)
		} else {
			r.q.Forget(key)
		}
		r.q.Done(key)
	}
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of an admin client (required)")
	node := flag.String("node", "podrunner", "name of the fake Node")
	flag.Parse()
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("podrunner: kubeconfig: %v", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatalf("podrunner: client: %v", err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	r := &runner{cs: cs, node: *node, q: workqueue.NewTypedRateLimitingQueue(
		workqueue.DefaultTypedControllerRateLimiter[string]())}
	for err = r.heartbeat(ctx); err != nil; err = r.heartbeat(ctx) {
		log.Printf("podrunner: %v", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	f := informers.NewSharedInformerFactory(cs, 30*time.Second)
	inf := f.Core().V1().Pods().Informer()
	enqueue := func(obj any) {
		if k, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			r.q.Add(k)
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue,
		UpdateFunc: func(_, o any) { enqueue(o) }, DeleteFunc: enqueue})
	r.pods = inf.GetIndexer()
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	for i := 0; i < 4; i++ {
		go r.worker(ctx)
	}
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.q.ShutDown()
			return
		case <-t.C:
			if err := r.heartbeat(ctx); err != nil {
				log.Printf("podrunner: %v", err)
			}
		}
	}
}
