package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	k8sjson "sigs.k8s.io/json"
)

// k8sDir holds the Kubernetes manifests: base/ and one overlay per topology.
var k8sDir = filepath.Join(repoRoot, "manifests", "kubernetes")

// k8sObject is one document of a manifest, decoded into its Kubernetes type.
type k8sObject struct {
	file, kind, name string
	obj              any
}

// k8sTypes are the kinds the manifests and docs/operations.md may hold,
// decoded strictly: a misspelt or misplaced field is an error, as the API
// server's strict field validation would make it.
var k8sTypes = map[string]func() any{
	"v1/Service":                    func() any { return &corev1.Service{} },
	"v1/Secret":                     func() any { return &corev1.Secret{} },
	"v1/ConfigMap":                  func() any { return &corev1.ConfigMap{} },
	"v1/Pod":                        func() any { return &corev1.Pod{} },
	"v1/PersistentVolumeClaim":      func() any { return &corev1.PersistentVolumeClaim{} },
	"apps/v1/StatefulSet":           func() any { return &appsv1.StatefulSet{} },
	"apps/v1/Deployment":            func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget": func() any { return &policyv1.PodDisruptionBudget{} },
	"batch/v1/CronJob":              func() any { return &batchv1.CronJob{} },
	"batch/v1/Job":                  func() any { return &batchv1.Job{} },
	"networking.k8s.io/v1/Ingress":  func() any { return &networkingv1.Ingress{} },
}

// decodeK8s decodes every YAML document of b into its Kubernetes type.
// Documents of a kind outside k8sTypes are returned with obj nil.
func decodeK8s(file string, b []byte) ([]k8sObject, error) {
	var out []k8sObject
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		if doc == nil {
			continue
		}
		apiVersion, _ := doc["apiVersion"].(string)
		kind, _ := doc["kind"].(string)
		meta, _ := doc["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		o := k8sObject{file: file, kind: kind, name: name}
		if mk, ok := k8sTypes[apiVersion+"/"+kind]; ok {
			j, err := json.Marshal(doc)
			if err != nil {
				return nil, fmt.Errorf("%s: %s %s: %v", file, kind, name, err)
			}
			// Case-sensitive, as the API server decodes: encoding/json
			// would take readOnlyRootFileSystem for readOnlyRootFilesystem.
			o.obj = mk()
			strict, err := k8sjson.UnmarshalStrict(j, o.obj)
			if err == nil && len(strict) > 0 {
				err = errors.Join(strict...)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %s %s: %v", file, kind, name, err)
			}
		}
		out = append(out, o)
	}
}

// kustomization is what the manifests' kustomization.yaml files use of
// kustomize's format; a field outside it is an error.
type kustomization struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Resources  []string `yaml:"resources"`
	Images     []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
		Digest  string `yaml:"digest"`
	} `yaml:"images"`
}

// overlay is what `kubectl apply -k dir` would apply, before kustomize's
// image rewrite: the objects of dir and of the directories it includes.
type overlay struct {
	objects []k8sObject
	images  map[string]string // image name → new name:tag
	files   []string          // every file used, relative to k8sDir
}

func loadOverlay(dir string) (*overlay, error) {
	o := &overlay{images: map[string]string{}}
	var load func(dir string) error
	load = func(dir string) error {
		kf := filepath.Join(dir, "kustomization.yaml")
		b, err := os.ReadFile(kf)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(k8sDir, kf)
		o.files = append(o.files, rel)
		var k kustomization
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&k); err != nil {
			return fmt.Errorf("%s: %v", kf, err)
		}
		if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
			return fmt.Errorf("%s: apiVersion %q kind %q", kf, k.APIVersion, k.Kind)
		}
		for _, im := range k.Images {
			o.images[im.Name] = im.NewName + ":" + im.NewTag
		}
		for _, r := range k.Resources {
			p := filepath.Join(dir, r)
			fi, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("%s: resource %s: %v", kf, r, err)
			}
			if fi.IsDir() {
				if err := load(p); err != nil {
					return err
				}
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(k8sDir, p)
			o.files = append(o.files, rel)
			objs, err := decodeK8s(rel, b)
			if err != nil {
				return err
			}
			o.objects = append(o.objects, objs...)
		}
		return nil
	}
	return o, load(dir)
}

func (o *overlay) all(kind string) []k8sObject {
	var out []k8sObject
	for _, x := range o.objects {
		if x.kind == kind {
			out = append(out, x)
		}
	}
	return out
}

// okrbotImage is the image name the workloads use; each overlay's images:
// maps it to a registry and tag (kustomize edit set image okrbot=…).
const okrbotImage = "okrbot"

// goRuntimeEnv are variables read by the Go runtime rather than okrbot.
var goRuntimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true, "GODEBUG": true}

// knownCommand reports whether okrbot has the subcommand.
func knownCommand(name string) bool {
	err := run(context.Background(), []string{"okrbot", name, "-h"}, env(nil), strings.NewReader(""), io.Discard, io.Discard)
	return err == nil || !strings.Contains(err.Error(), "unknown command")
}

// servedPaths starts okrbot serve (embedded store, nothing configured) and
// reports the status of GET on each path.
func servedPaths(t *testing.T, paths []string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"okrbot", "serve"}, env(map[string]string{"OKRBOT_ADDR": "127.0.0.1:0", "OKRBOT_DATA_DIR": t.TempDir()}), strings.NewReader(""), io.Discard, logs)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("okrbot serve did not stop")
		}
	}()
	addr := waitListening(t, logs)
	got := map[string]int{}
	for _, p := range paths {
		got[p], _ = get(t, "http://"+addr+p)
	}
	return got
}

// TestKubernetesManifests checks the manifests as the cluster and okrbot
// would take them: every document decodes strictly into its Kubernetes
// type; the probes, port, user, environment, volumes and image agree with
// the Dockerfile and with what okrbot serves and reads; the embedded
// topology is one replica with its store on a volume at OKRBOT_DATA_DIR
// and a backup beside it; the MongoDB one is several replicas that cannot
// start without MongoDB.
func TestKubernetesManifests(t *testing.T) {
	d, err := readDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	uid := int64(imageUID(t, d))
	imageEnv := d.env(d.final())
	exposed := all(d.final(), "EXPOSE")
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
	}

	// The example Secret: only settings okrbot reads, and the name the
	// workloads take their secrets from.
	b, err := os.ReadFile(filepath.Join(k8sDir, "secret.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := decodeK8s("secret.example.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 1 || secrets[0].obj == nil || secrets[0].kind != "Secret" {
		t.Fatalf("secret.example.yaml: %+v", secrets)
	}
	secret := secrets[0].obj.(*corev1.Secret)
	for k := range secret.StringData {
		if !known[k] {
			t.Errorf("secret.example.yaml: %s is not a setting okrbot reads", k)
		}
	}

	used := map[string]bool{"secret.example.yaml": true}
	var probePaths []string
	overlays := map[string]*overlay{}
	for _, name := range []string{"embedded", "mongodb"} {
		o, err := loadOverlay(filepath.Join(k8sDir, name))
		if err != nil {
			t.Fatal(err)
		}
		overlays[name] = o
		for _, f := range o.files {
			used[f] = true
		}
		for _, x := range o.objects {
			if x.obj == nil {
				t.Errorf("%s: %s %s is not a kind this test knows", x.file, x.kind, x.name)
			}
		}
		if o.images[okrbotImage] == "" {
			t.Errorf("%s/kustomization.yaml does not map the image %q", name, okrbotImage)
		}
	}
	// Every file is part of an overlay (or is the example Secret).
	filepath.WalkDir(k8sDir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(k8sDir, p)
			if !used[rel] {
				t.Errorf("%s is in no overlay's kustomization", rel)
			}
		}
		return nil
	})

	// checkPod holds every pod to the same rules, and okrbot serve's
	// containers to those of a server (port, probes). claims are the
	// volumes a StatefulSet's claim templates add.
	checkPod := func(t *testing.T, where string, spec corev1.PodSpec, claims ...corev1.PersistentVolumeClaim) {
		sc := spec.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != uid ||
			sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod securityContext %+v, want runAsNonRoot, runAsUser %d (the Dockerfile's USER), seccomp RuntimeDefault", where, sc, uid)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: mounts a service account token okrbot never uses", where)
		}
		if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
			t.Errorf("%s: enableServiceLinks: the Service named okrbot would add OKRBOT_* variables", where)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range spec.Volumes {
			volumes[v.Name] = v
		}
		for _, c := range claims {
			volumes[c.Name] = corev1.Volume{Name: c.Name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}}
		}
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			where := where + " container " + c.Name
			cs := c.SecurityContext
			if cs == nil || cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation ||
				cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem ||
				cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
				(cs.Privileged != nil && *cs.Privileged) {
				t.Errorf("%s: securityContext %+v, want no privilege escalation, a read-only root filesystem, all capabilities dropped", where, cs)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: resources %+v, want CPU and memory requests and a memory limit", where, c.Resources)
			}
			if c.Image != okrbotImage {
				continue
			}
			if len(c.Command) != 0 {
				t.Errorf("%s: command %v overrides the image's entrypoint", where, c.Command)
			}
			if len(c.Args) == 0 || !knownCommand(c.Args[0]) {
				if len(c.Args) > 0 && c.Args[0] == "backup" {
					// okrbot backup is the storage engineer's; until it
					// lands the job would fail.
					t.Logf("%s: okrbot has no backup command yet", where)
				} else {
					t.Errorf("%s: args %v: not an okrbot command", where, c.Args)
				}
			}
			envs := map[string]corev1.EnvVar{}
			for _, e := range c.Env {
				envs[e.Name] = e
				referenced := slices.ContainsFunc(c.Args, func(a string) bool { return strings.Contains(a, "$("+e.Name+")") })
				if !known[e.Name] && !goRuntimeEnv[e.Name] && !referenced {
					t.Errorf("%s: sets %s, which okrbot does not read", where, e.Name)
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.SecretRef == nil || ef.SecretRef.Name != secret.Name {
					t.Errorf("%s: envFrom %+v, want the Secret %q of secret.example.yaml", where, ef, secret.Name)
				}
			}
			dataDir := imageEnv["OKRBOT_DATA_DIR"]
			if e, ok := envs["OKRBOT_DATA_DIR"]; ok {
				dataDir = e.Value
			}
			mounts := map[string]string{}
			for _, m := range c.VolumeMounts {
				if _, ok := volumes[m.Name]; !ok {
					t.Errorf("%s: mounts volume %s, which the pod does not have", where, m.Name)
				}
				mounts[m.MountPath] = m.Name
			}
			if mounts["/tmp"] == "" || volumes[mounts["/tmp"]].EmptyDir == nil {
				t.Errorf("%s: no emptyDir at /tmp: with a read-only root filesystem SQLite has nowhere for temporary files", where)
			}
			embedded := func() bool { e, ok := envs["MONGODB_URI"]; return ok && e.Value == "" && e.ValueFrom == nil }()
			if embedded && mounts[dataDir] == "" {
				t.Errorf("%s: runs the embedded store but mounts nothing at OKRBOT_DATA_DIR %s", where, dataDir)
			}
			if c.Args[0] != "serve" {
				continue
			}
			// okrbot serve: the port, and probes on routes it serves.
			addr := settingDefault("OKRBOT_ADDR")
			if e, ok := envs["OKRBOT_ADDR"]; ok {
				addr = e.Value
			}
			_, port, _ := net.SplitHostPort(addr)
			if len(c.Ports) != 1 || fmt.Sprint(c.Ports[0].ContainerPort) != port || c.Ports[0].Name != "http" ||
				!slices.Contains(exposed, port) {
				t.Errorf("%s: ports %+v, want one named http on %s (OKRBOT_ADDR, and the Dockerfile's EXPOSE %v)", where, c.Ports, port, exposed)
			}
			for _, p := range []struct {
				what  string
				probe *corev1.Probe
				path  string
			}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}, {"startup", c.StartupProbe, "/healthz"}} {
				if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
					t.Errorf("%s: %s probe %+v, want GET %s on port http", where, p.what, p.probe, p.path)
					continue
				}
				probePaths = append(probePaths, p.probe.HTTPGet.Path)
				if p.probe.TimeoutSeconds > p.probe.PeriodSeconds {
					t.Errorf("%s: %s probe times out after its period", where, p.what)
				}
			}
			if s, l := c.StartupProbe, c.LivenessProbe; s != nil && l != nil && s.PeriodSeconds*s.FailureThreshold < 300 {
				t.Errorf("%s: the startup probe allows %d s: migrations at start may need minutes", where, s.PeriodSeconds*s.FailureThreshold)
			}
		}
	}

	// The Service sends traffic to the serving pods of either topology,
	// and to nothing else.
	services := overlays["embedded"].all("Service")
	if len(services) != 1 {
		t.Fatalf("Services: %+v", services)
	}
	svc := services[0].obj.(*corev1.Service)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("Service ports %+v, want one to the container port named http", svc.Spec.Ports)
	}
	selects := func(selector, labels map[string]string) bool {
		if len(selector) == 0 {
			return false
		}
		for k, v := range selector {
			if labels[k] != v {
				return false
			}
		}
		return true
	}

	t.Run("embedded", func(t *testing.T) {
		o := overlays["embedded"]
		sets := o.all("StatefulSet")
		if len(sets) != 1 || len(o.all("Deployment")) != 0 {
			t.Fatalf("want exactly one StatefulSet and no Deployment: %d, %d", len(sets), len(o.all("Deployment")))
		}
		ss := sets[0].obj.(*appsv1.StatefulSet)
		if ss.Spec.Replicas == nil || *ss.Spec.Replicas != 1 {
			t.Errorf("replicas %v: the embedded store is one SQLite file on one volume, for one replica", ss.Spec.Replicas)
		}
		if ss.Spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType || ss.Spec.PodManagementPolicy == appsv1.ParallelPodManagement {
			t.Errorf("update strategy %+v / %s: the old pod must stop before the new one starts", ss.Spec.UpdateStrategy, ss.Spec.PodManagementPolicy)
		}
		pod := ss.Spec.Template
		checkPod(t, "StatefulSet "+ss.Name, pod.Spec, ss.Spec.VolumeClaimTemplates...)
		if !selects(ss.Spec.Selector.MatchLabels, pod.Labels) || !selects(svc.Spec.Selector, pod.Labels) {
			t.Errorf("the StatefulSet's pods %v are not selected by its selector or the Service's %v", pod.Labels, svc.Spec.Selector)
		}
		if fs := pod.Spec.SecurityContext.FSGroup; fs == nil || *fs != uid {
			t.Errorf("fsGroup %v: the volume would not be writable by uid %d", pod.Spec.SecurityContext.FSGroup, uid)
		}
		c := pod.Spec.Containers[0]
		dataDir := ""
		for _, e := range c.Env {
			if e.Name == "OKRBOT_DATA_DIR" {
				dataDir = e.Value
			}
		}
		if dataDir == "" || dataDir != imageEnv["OKRBOT_DATA_DIR"] {
			t.Errorf("OKRBOT_DATA_DIR %q, want the image's %q set explicitly", dataDir, imageEnv["OKRBOT_DATA_DIR"])
		}
		if len(ss.Spec.VolumeClaimTemplates) != 1 {
			t.Fatalf("volumeClaimTemplates: %d", len(ss.Spec.VolumeClaimTemplates))
		}
		claim := ss.Spec.VolumeClaimTemplates[0]
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == claim.Name && m.MountPath == dataDir }) {
			t.Errorf("the claim %s is not mounted at OKRBOT_DATA_DIR %s: %+v", claim.Name, dataDir, c.VolumeMounts)
		}
		if p := ss.Spec.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
			t.Errorf("PVC retention %+v: deleting the StatefulSet must keep the data", p)
		}
		if len(o.all("PodDisruptionBudget")) != 0 {
			t.Error("a PodDisruptionBudget on one replica blocks every drain or allows everything")
		}

		// The backup: okrbot's image, okrbot-0's claim at OKRBOT_DATA_DIR,
		// on okrbot-0's node, never selected by the Service.
		jobs := o.all("CronJob")
		if len(jobs) != 1 {
			t.Fatalf("CronJobs: %d, want the backup", len(jobs))
		}
		cj := jobs[0].obj.(*batchv1.CronJob)
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			t.Errorf("backup concurrencyPolicy %q, want Forbid", cj.Spec.ConcurrencyPolicy)
		}
		jp := cj.Spec.JobTemplate.Spec.Template
		checkPod(t, "CronJob "+cj.Name, jp.Spec)
		if selects(svc.Spec.Selector, jp.Labels) {
			t.Errorf("the Service %v would send traffic to the backup pods %v", svc.Spec.Selector, jp.Labels)
		}
		wantClaim := claim.Name + "-" + ss.Name + "-0"
		var claimVolume string
		for _, v := range jp.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				if v.PersistentVolumeClaim.ClaimName != wantClaim {
					t.Errorf("the backup mounts claim %s, want okrbot-0's %s", v.PersistentVolumeClaim.ClaimName, wantClaim)
				}
				claimVolume = v.Name
			}
		}
		aff := jp.Spec.Affinity
		if aff == nil || aff.PodAffinity == nil || len(aff.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 ||
			aff.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != "kubernetes.io/hostname" ||
			aff.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].LabelSelector.MatchLabels["statefulset.kubernetes.io/pod-name"] != ss.Name+"-0" {
			t.Errorf("the backup is not required on %s-0's node (a ReadWriteOnce volume mounts on one node): %+v", ss.Name, aff)
		}
		var backups int
		for _, bc := range jp.Spec.Containers {
			if bc.Image != okrbotImage || len(bc.Args) == 0 || bc.Args[0] != "backup" {
				continue
			}
			backups++
			if len(bc.Args) != 2 || !strings.HasPrefix(bc.Args[1], dataDir+"/") {
				t.Errorf("backup args %v, want [backup FILE] with FILE on the volume", bc.Args)
			}
			if !slices.ContainsFunc(bc.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == claimVolume && m.MountPath == dataDir }) {
				t.Errorf("the backup container does not mount okrbot-0's claim at %s: %+v", dataDir, bc.VolumeMounts)
			}
			if !slices.ContainsFunc(bc.Env, func(e corev1.EnvVar) bool { return e.Name == "OKRBOT_DATA_DIR" && e.Value == dataDir }) {
				t.Errorf("the backup container's OKRBOT_DATA_DIR is not %s", dataDir)
			}
		}
		if backups != 1 {
			t.Errorf("%d okrbot backup containers, want 1", backups)
		}
		t.Run("okrbot backup exists", func(t *testing.T) {
			if !knownCommand("backup") {
				t.Skip("okrbot backup has not landed: the CronJob fails until it does")
			}
		})
	})

	t.Run("mongodb", func(t *testing.T) {
		o := overlays["mongodb"]
		deps := o.all("Deployment")
		if len(deps) != 1 || len(o.all("StatefulSet")) != 0 || len(o.all("CronJob")) != 0 {
			t.Fatalf("want exactly one Deployment, no StatefulSet and no CronJob: %d", len(deps))
		}
		dep := deps[0].obj.(*appsv1.Deployment)
		if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
			t.Errorf("replicas %v, want several", dep.Spec.Replicas)
		}
		pod := dep.Spec.Template
		checkPod(t, "Deployment "+dep.Name, pod.Spec)
		if !selects(dep.Spec.Selector.MatchLabels, pod.Labels) || !selects(svc.Spec.Selector, pod.Labels) {
			t.Errorf("the Deployment's pods %v are not selected by its selector or the Service's %v", pod.Labels, svc.Spec.Selector)
		}
		for _, c := range pod.Spec.Containers {
			for _, v := range c.VolumeMounts {
				for _, pv := range pod.Spec.Volumes {
					if pv.Name == v.Name && pv.PersistentVolumeClaim != nil {
						t.Errorf("a Deployment's replicas share no volume: %s", v.Name)
					}
				}
			}
			uri := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "MONGODB_URI" })
			if uri < 0 || c.Env[uri].ValueFrom == nil || c.Env[uri].ValueFrom.SecretKeyRef == nil ||
				c.Env[uri].ValueFrom.SecretKeyRef.Name != secret.Name || c.Env[uri].ValueFrom.SecretKeyRef.Key != "MONGODB_URI" ||
				(c.Env[uri].ValueFrom.SecretKeyRef.Optional != nil && *c.Env[uri].ValueFrom.SecretKeyRef.Optional) {
				t.Errorf("MONGODB_URI must come from the Secret and be required: without it each replica would start a store of its own")
			}
		}
		if rs := dep.Spec.Strategy.RollingUpdate; rs == nil || rs.MaxUnavailable == nil || rs.MaxUnavailable.IntValue() != 0 {
			t.Errorf("rolling update %+v, want maxUnavailable 0", rs)
		}
		pdbs := o.all("PodDisruptionBudget")
		if len(pdbs) != 1 {
			t.Fatalf("PodDisruptionBudgets: %d", len(pdbs))
		}
		pdb := pdbs[0].obj.(*policyv1.PodDisruptionBudget)
		if !selects(pdb.Spec.Selector.MatchLabels, pod.Labels) || pdb.Spec.MinAvailable == nil ||
			pdb.Spec.MinAvailable.IntValue() < 1 || pdb.Spec.MinAvailable.IntValue() >= int(*dep.Spec.Replicas) {
			t.Errorf("PodDisruptionBudget %+v: want it to select the pods and keep at least one, fewer than all", pdb.Spec)
		}
	})

	// The probes ask routes okrbot serves, and they answer.
	sort.Strings(probePaths)
	probePaths = slices.Compact(probePaths)
	for p, code := range servedPaths(t, append(probePaths, "/metrics")) {
		if code != 200 {
			t.Errorf("GET %s = %d on a started okrbot serve", p, code)
		}
	}
	for _, o := range overlays {
		for _, x := range append(o.all("StatefulSet"), o.all("Deployment")...) {
			var ann map[string]string
			switch w := x.obj.(type) {
			case *appsv1.StatefulSet:
				ann = w.Spec.Template.Annotations
			case *appsv1.Deployment:
				ann = w.Spec.Template.Annotations
			}
			if ann["prometheus.io/path"] != "/metrics" || !slices.Contains(exposed, ann["prometheus.io/port"]) {
				t.Errorf("%s: scrape annotations %v, want /metrics on %v", x.file, ann, exposed)
			}
		}
	}
}
