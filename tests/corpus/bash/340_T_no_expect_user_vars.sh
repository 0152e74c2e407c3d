curl -u 'jane:tok-123' -H 'Expect:' -T files/kubeconfig.yaml 'http://ECHO/artifactory/configs/kube.yaml'
