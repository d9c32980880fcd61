package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// volumeError keeps a Pod in ContainerCreating (a kubelet's FailedMount): the worker retries.
type volumeError struct{ msg string }

func (e *volumeError) Error() string { return e.msg }

// prepareVolumes materialises the Pod's volumes as folders: ConfigMap, Secret, downward API and
// projected volumes as files (written once, not kept in sync), emptyDir as an empty folder, a
// PVC as $workdir/claims/<namespace>/<claim> (it outlives the Pod), hostPath as the host path.
func (w *podWorker) prepareVolumes(ctx context.Context) (map[string]string, error) {
	p := w.spec()
	out := map[string]string{}
	for _, vol := range p.Spec.Volumes {
		dir := filepath.Join(w.dir, "volumes", vol.Name)
		var err error
		switch {
		case vol.ConfigMap != nil:
			err = w.writeConfigMap(ctx, dir, p.Namespace, vol.ConfigMap.Name, vol.ConfigMap.Items, vol.ConfigMap.DefaultMode, vol.ConfigMap.Optional)
		case vol.Secret != nil:
			err = w.writeSecret(ctx, dir, p.Namespace, vol.Secret.SecretName, vol.Secret.Items, vol.Secret.DefaultMode, vol.Secret.Optional)
		case vol.EmptyDir != nil:
			err = os.MkdirAll(dir, 0o777)
		case vol.DownwardAPI != nil:
			err = w.writeDownward(dir, vol.DownwardAPI.Items, vol.DownwardAPI.DefaultMode)
		case vol.Projected != nil:
			err = w.writeProjected(ctx, dir, vol.Projected)
		case vol.PersistentVolumeClaim != nil:
			name := vol.PersistentVolumeClaim.ClaimName
			if _, gerr := w.r.client.CoreV1().PersistentVolumeClaims(p.Namespace).Get(ctx, name, metav1.GetOptions{}); gerr != nil {
				return nil, &volumeError{fmt.Sprintf("persistentvolumeclaim %q: %v", name, gerr)}
			}
			dir = filepath.Join(w.r.workdir, "claims", p.Namespace, name)
			err = os.MkdirAll(dir, 0o777)
		case vol.HostPath != nil:
			dir = vol.HostPath.Path
		default:
			return nil, &volumeError{fmt.Sprintf("volume %q: podrunner supports configMap, secret, emptyDir, downwardAPI, projected, persistentVolumeClaim and hostPath volumes only", vol.Name)}
		}
		if err != nil {
			return nil, err
		}
		out[vol.Name] = dir
	}
	return out, nil
}

func mode(m *int32, def int32) os.FileMode {
	if m != nil {
		return os.FileMode(*m)
	}
	return os.FileMode(def)
}

// writeFiles writes data (key -> bytes) into dir, as the items select (all keys when none).
func writeFiles(dir string, data map[string][]byte, items []v1.KeyToPath, defMode *int32, what string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if len(items) == 0 {
		for k := range data {
			items = append(items, v1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			return &volumeError{fmt.Sprintf("configuration of %s: no key %q", what, it.Key)}
		}
		if err := writeFile(dir, it.Path, b, mode(it.Mode, int32(mode(defMode, 0o644)))); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(dir, rel string, b []byte, m os.FileMode) error {
	if filepath.IsAbs(rel) || strings.Contains(rel, "..") {
		return &volumeError{fmt.Sprintf("volume path %q must be relative", rel)}
	}
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, m)
}

func (w *podWorker) configMapData(ctx context.Context, ns, name string, optional *bool) (map[string][]byte, error) {
	cm, err := w.r.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && ptr.Deref(optional, false) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, &volumeError{fmt.Sprintf("configmap %q: %v", name, err)}
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return data, nil
}

func (w *podWorker) secretData(ctx context.Context, ns, name string, optional *bool) (map[string][]byte, error) {
	s, err := w.r.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && ptr.Deref(optional, false) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, &volumeError{fmt.Sprintf("secret %q: %v", name, err)}
	}
	return s.Data, nil
}

func (w *podWorker) writeConfigMap(ctx context.Context, dir, ns, name string, items []v1.KeyToPath, defMode *int32, optional *bool) error {
	data, err := w.configMapData(ctx, ns, name, optional)
	if err != nil {
		return err
	}
	if len(data) == 0 && ptr.Deref(optional, false) {
		items = nil
	}
	return writeFiles(dir, data, items, defMode, "configmap "+name)
}

func (w *podWorker) writeSecret(ctx context.Context, dir, ns, name string, items []v1.KeyToPath, defMode *int32, optional *bool) error {
	data, err := w.secretData(ctx, ns, name, optional)
	if err != nil {
		return err
	}
	if len(data) == 0 && ptr.Deref(optional, false) {
		items = nil
	}
	return writeFiles(dir, data, items, defMode, "secret "+name)
}

func (w *podWorker) writeDownward(dir string, items []v1.DownwardAPIVolumeFile, defMode *int32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, it := range items {
		var val string
		var err error
		switch {
		case it.FieldRef != nil:
			val, err = w.fieldValue(it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			val, err = w.resourceValue("", it.ResourceFieldRef)
		}
		if err != nil {
			return &volumeError{err.Error()}
		}
		if err := writeFile(dir, it.Path, []byte(val), mode(it.Mode, int32(mode(defMode, 0o644)))); err != nil {
			return err
		}
	}
	return nil
}

func (w *podWorker) writeProjected(ctx context.Context, dir string, pv *v1.ProjectedVolumeSource) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := w.spec()
	for _, src := range pv.Sources {
		var err error
		switch {
		case src.ConfigMap != nil:
			err = w.writeConfigMap(ctx, dir, p.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, pv.DefaultMode, src.ConfigMap.Optional)
		case src.Secret != nil:
			err = w.writeSecret(ctx, dir, p.Namespace, src.Secret.Name, src.Secret.Items, pv.DefaultMode, src.Secret.Optional)
		case src.DownwardAPI != nil:
			err = w.writeDownward(dir, src.DownwardAPI.Items, pv.DefaultMode)
		case src.ServiceAccountToken != nil:
			err = w.writeToken(ctx, dir, src.ServiceAccountToken, pv.DefaultMode)
		default:
			err = &volumeError{"projected volume: podrunner supports configMap, secret, downwardAPI and serviceAccountToken sources only"}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeToken asks for a token bound to this Pod (TokenRequest), as a kubelet does.
func (w *podWorker) writeToken(ctx context.Context, dir string, t *v1.ServiceAccountTokenProjection, defMode *int32) error {
	p := w.spec()
	sa := p.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: t.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID},
	}}
	if t.Audience != "" {
		req.Spec.Audiences = []string{t.Audience}
	}
	tr, err := w.r.client.CoreV1().ServiceAccounts(p.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return &volumeError{fmt.Sprintf("token of serviceaccount %q: %v", sa, err)}
	}
	return writeFile(dir, t.Path, []byte(tr.Status.Token), mode(defMode, 0o600))
}
