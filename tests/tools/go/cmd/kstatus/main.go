// kstatus reads one Kubernetes object (or a List) as JSON on stdin, as printed by
// `kubectl get ... -o json`, and prints its health as Argo CD and Flux compute it with
// sigs.k8s.io/cli-utils/pkg/kstatus/status.
//
// One object: the status (Current, InProgress, Failed, Terminating, NotFound, Unknown) on
// the first line, the message on the second. A List (kind ending in "List"): one line
// "<kind>/<name> <status>" per item. Exit 1 on unreadable input or a compute error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus: "+format+"\n", args...)
	os.Exit(1)
}

func compute(obj map[string]any) *status.Result {
	res, err := status.Compute(&unstructured.Unstructured{Object: obj})
	if err != nil {
		die("%v", err)
	}
	return res
}

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: kubectl get KIND NAME -o json | kstatus")
		os.Exit(2)
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		die("reading stdin: %v", err)
	}
	// apimachinery's json.Unmarshal, as unstructured objects need: whole numbers become int64
	// (encoding/json's float64 makes status.Compute fail reading metadata.generation).
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		die("stdin is not a JSON object: %v", err)
	}
	kind, _ := obj["kind"].(string)
	if kind == "" {
		die("the object has no kind")
	}
	if !strings.HasSuffix(kind, "List") {
		res := compute(obj)
		fmt.Println(res.Status)
		fmt.Println(res.Message)
		return
	}
	items, _ := obj["items"].([]any)
	for i, it := range items {
		item, ok := it.(map[string]any)
		if !ok {
			die("items[%d] is not an object", i)
		}
		u := unstructured.Unstructured{Object: item}
		// kubectl leaves kind/apiVersion on items of a List of one type; a typed list
		// (e.g. kind: DatabaseList) may omit them: take the kind from the list's name.
		itemKind := u.GetKind()
		if itemKind == "" {
			itemKind = strings.TrimSuffix(kind, "List")
			u.SetKind(itemKind)
		}
		res := compute(u.Object)
		fmt.Printf("%s/%s %s\n", itemKind, u.GetName(), res.Status)
	}
}
