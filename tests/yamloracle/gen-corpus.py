# Generates tests/corpus/yaml (the YAML oracle corpus): python3 gen-corpus.py tests/corpus/yaml
# Each case is a small file; run-corpus.sh compares the Go oracle and yaml2json on it.
import os, re, sys, zlib
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
cases = {}
def add(name, text):
    base, i = name, 2
    while name in cases:
        name = f'{base}-{i}'; i += 1
    cases[name] = text

def slug(s):
    for a, b in [('+', 'plus'), ('-', 'minus'), ('.', 'dot'), ('_', 'us'), (':', 'colon'), ('~', 'tilde'), ('"', 'dq'), ("'", 'sq'), ('!', 'bang'), ('<', 'lt'), ('#', 'hash'), ('/', 'sl'), ('=', 'eq'), ('\\', 'bs')]:
        s = s.replace(a, ' ' + b + ' ')
    t = re.sub(r'[^A-Za-z0-9]+', '_', s).strip('_')
    t = t or 'empty'
    if len(t) > 60:
        t = t[:50] + '_' + str(zlib.crc32(s.encode()) % 1000)
    return t

scalars = [
 # booleans
 'y','Y','yes','Yes','YES','n','N','no','No','NO','true','True','TRUE','false','False','FALSE',
 'on','On','ON','off','Off','OFF','yEs','tRUE','oN','ofF',
 # nulls
 '~','null','Null','NULL','nULL',
 # ints
 '0','1','-1','+1','0777','-0777','0o17','0O17','0x1F','0X1f','-0x10','+0x10','0b101','-0b101','0B11',
 '1_000','0_7','08','09','09.5','0x','0b','0o','00','-0','+0','9223372036854775807','-9223372036854775808',
 '-9223372036854775809','99999999999999999999','0xFFFFFFFFFFFFFFFFFF','1__0','_1','1_','190:20:30','1:20',
 '0x7FFFFFFFFFFFFFFF','-0x8000000000000000','0o777777','0b' + '1'*63, '12abc', '0xZZ', '- 1'.replace(' ',''),
 # floats
 '1.5','-1.5','+1.5','.5','-.5','+.5','1.','1e3','1E3','1e+3','1e-3','1.5e3','1_000.5','.5_0','._5','.5e1_0',
 '1e400','.1e400','-1e400','1e-400','0.1','3.14159265358979','1e20','1e21','12e','1.2.3','.','-.','6.8523015e+5',
 '685.230_15e+03','685_230.15','-0.0','0.0','1.0','2.50','1e-7','123456789012345678','1234567890123456789012',
 # special floats that stay strings
 '.iNf','-.nan','inf','nan','NaN','Infinity','+.iNF',
 # timestamps and dates
 '2001-01-01','2001-12-14t21:59:43.10-05:00','2001-12-14 21:59:43.10 -5','2002-12-14','2001-1-1','2001-12-14T21:59:43Z',
 '2001-13-01','1.2.3.4','10:00','12:30:45',
 # plain strings
 'abc','hello world','a: b'.replace(': ',':'),'http://example.com/x?y=1','#notcomment'.replace('#','x#'),
 '<<','=','a,b','@'.replace('@','at'),'0.0.0.0/0','v1.2.3','1.2.3-rc1','+','-x','nul','Yes please','NO!',
 'ÿes','日本語','😀','café','e\u0301',
]
quoted = ['"yes"',"'on'",'"123"',"'0x10'",'"1e3"','"~"',"''",'""','"null"','"2001-01-01"','"\\u00e9"','"tab\\there"',
          '"a\\nb"','"\\x41"','"\\0"'.replace('\\0','\\x00'),"'it''s'",'"\\/"','"\\U0001F600"','"line1\\\n  line2"']
for s in scalars + quoted:
    add('scalar-' + slug(s) + ('-q' if s in quoted else ''), f'value: {s}\nlist:\n  - {s}\nflow: {{v: {s}}}\nseq: [{s}]\n')

keyable = ['y','yes','no','on','off','true','FALSE','0','1','-1','0777','0x1F','0o17','0b11','1_000','08','1.5','.5',
           '1e3','1e6','1234567.0','0.1','3.14159265358979','100000','0.0001','0.00001','-0.0','1e40','.inf','-.inf',
           '2001-01-01','abc','"quoted"','<<x','!!str 12','!!binary aGk=','! yes','!!int "7"','!!float 2','123456789']
for k in keyable:
    add('key-' + slug(k), f'{k}: value\nother: 1\n')

tags = ['!!str 123','!!str yes','!!str ~','!!int "12"','!!int 0x10','!!int 1.5','!!int abc','!!float 1','!!float "1.5"',
        '!!float abc','!!float .inf','!!bool "yes"','!!bool 1','!!bool on','!!null ~','!!null ""','!!null x',
        '! 12','! yes','!foo 12','!foo yes','!!binary aGVsbG8=','!!binary "aGVsbG8="','!!binary aGVsbG8','!!binary "!!!!"',
        '!!binary /w==','!!binary 8J+YgA==','!!timestamp 2001-01-01','!!timestamp 2001-12-14T21:59:43Z','!!timestamp abc',
        '!!timestamp 12','!<tag:yaml.org,2002:int> "5"','!!merge x','!!map x','!!seq x','!!set x','!<!bar> 5']
for t in tags:
    add('tag-' + slug(t), f'value: {t}\n')

add('tag-collections', 'a: !!map {x: 1}\nb: !!seq [1, 2]\nc: !foo {y: 2}\nd: !!set {p, q}\ne: !!omap [{a: 1}]\n')
add('tag-str-on-map', 'a: !!str {x: 1}\n')
add('tag-int-on-seq', 'a: !!int [1]\n')
add('tag-binary-block', 'data: !!binary |\n  aGVsbG8g\n  d29ybGQ=\n')
add('tag-directive', '%TAG !e! tag:example.com,2000:\n---\na: !e!foo 12\n')
add('tag-directive-yaml', '%YAML 1.1\n---\na: yes\n')
add('tag-directive-yaml-separated', '%YAML 1.1\n---\na: yes\n---\nb: no\n')
add('tag-unknown-handle', 'a: !x!foo 1\n')

# block scalars
blocks = {
 'literal': 'a: |\n  line1\n  line2\n', 'literal-strip': 'a: |-\n  line1\n  line2\n\n', 'literal-keep': 'a: |+\n  line1\n  line2\n\n\nb: 1\n',
 'folded': 'a: >\n  one\n  two\n\n  three\n', 'folded-strip': 'a: >-\n  one\n  two\n', 'folded-keep': 'a: >+\n  one\n  two\n\n',
 'literal-indent': 'a: |2\n    indented\n  base\n', 'folded-more-indented': 'a: >\n  one\n    two\n  three\n',
 'literal-empty': 'a: |\nb: 1\n', 'literal-trailing-spaces': 'a: |\n  x  \n  y\t\n', 'literal-last': 'a: |\n  end',
 'folded-leading-blank': 'a: >\n\n  x\n', 'literal-in-seq': '- |\n  a\n  b\n- >\n  c\n  d\n',
 'plain-multiline': 'a: one\n  two\n  three\n', 'plain-multiline-blank': 'a: one\n\n  two\n',
 'dq-multiline': 'a: "one\n  two\n\n  three"\n', 'sq-multiline': "a: 'one\n  two'\n", 'dq-escaped-newline': 'a: "one \\\n  two"\n',
 'literal-bad-indent': 'a: |\n    x\n  y\n', 'literal-keep-eof': 'a: |+\n  x\n\n',
 'literal-certificate': 'ca.crt: |\n  -----BEGIN CERTIFICATE-----\n  MIIBszCCAVmgAwIBAgIUUq\n  -----END CERTIFICATE-----\n',
}
for n, t in blocks.items():
    add('block-' + n, t)

# anchors, aliases, merges
am = {
 'anchor-scalar': 'a: &x 1\nb: *x\n', 'anchor-map': 'base: &b {x: 1, y: 2}\ncopy: *b\n', 'anchor-seq': 'a: &s [1, 2]\nb: *s\nc: [*s, *s]\n',
 'anchor-redefined': 'a: &x 1\nb: *x\nc: &x 2\nd: *x\n', 'alias-unknown': 'a: *nope\n', 'alias-self': 'a: &x [1, *x]\n',
 'alias-self-map': 'a: &x {b: *x}\n', 'alias-as-key': 'k: &k name\n*k : v\n', 'alias-map-as-key': 'k: &k {a: 1}\n? *k\n: v\n',
 'merge-basic': 'base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  z: 3\n', 'merge-override-dup': 'base: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n',
 'merge-before-dup': 'base: &b {x: 1}\nm:\n  x: 2\n  <<: *b\n', 'merge-seq': 'a: &a {x: 1}\nb: &b {y: 2}\nm:\n  <<: [*a, *b]\n',
 'merge-seq-overlap': 'a: &a {x: 1}\nb: &b {x: 2}\nm:\n  <<: [*a, *b]\n', 'merge-inline': 'm:\n  <<: {x: 1}\n  y: 2\n',
 'merge-scalar': 'm:\n  <<: 1\n', 'merge-seq-scalar': 'a: &a 1\nm:\n  <<: [*a]\n', 'merge-alias-seq': 's: &s [1]\nm:\n  <<: *s\n',
 'merge-quoted-key': 'm:\n  "<<": {x: 1}\n', 'merge-tagged': 'm:\n  !!merge <<: {x: 1}\n', 'merge-nested': 'a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nm: {<<: *b, z: 3}\n',
 'merge-null': 'm:\n  <<: ~\n', 'merge-two-keys': 'a: &a {x: 1}\nb: &b {y: 1}\nm:\n  <<: *a\n  <<: *b\n',
 'merge-two-keys-overlap': 'a: &a {x: 1}\nb: &b {x: 2}\nm:\n  <<: *a\n  <<: *b\n',
 'merge-k8s-containers': 'defaults: &defaults\n  image: nginx:1.25\n  imagePullPolicy: IfNotPresent\ncontainers:\n  - <<: *defaults\n    name: web\n  - <<: *defaults\n    name: sidecar\n',
 'anchor-on-key': '&k a: 1\nb: 2\n', 'anchor-nested-use': 'x: &x {a: &y [1, 2], b: *y}\nz: *x\n',
 'alias-laughs-small': 'a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c]\n',
 'alias-in-flow': 'a: &v 5\nb: [*v, *v, {c: *v}]\n',
}
for n, t in am.items():
    add(n, t)
# billion laughs: oracle refuses (excessive aliasing); we refuse via ratio or max_nodes
lol = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
prev = 'a'
for i, c in enumerate('bcdefghi'):
    lol += f'{c}: &{c} [' + ','.join(['*' + prev] * 9) + ']\n'
    prev = c
add('alias-billion-laughs', lol)

# duplicates
dups = {
 'dup-simple': 'a: 1\na: 2\n', 'dup-nested': 'x:\n  a: 1\n  b: 2\n  a: 3\n', 'dup-flow': '{a: 1, a: 1}\n',
 'dup-bool-keys': 'yes: 1\ntrue: 2\n', 'dup-int-keys': '1: a\n0x1: b\n', 'dup-quoted-vs-plain': '"a": 1\na: 2\n',
 'dup-null-value': 'a: ~\na: 1\n', 'dup-in-seq-items': '- a: 1\n- a: 2\n', 'dup-k8s-env': 'env:\n  - name: A\n    value: "1"\n    name: B\n',
 'dup-labels': 'metadata:\n  labels:\n    app: web\n    tier: fe\n    app: db\n', 'dup-different-docs': 'a: 1\n---\na: 2\n',
 'dup-case-differs': 'a: 1\nA: 2\n', 'dup-int-key-and-string': 'x: {1: a, 2: b}\n',
}
for n, t in dups.items():
    add(n, t)

# keys of odd types
keys = {
 'key-null': '~: a\n', 'key-empty': ': a\n', 'key-seq': '? [1, 2]\n: a\n', 'key-map': '? {a: 1}\n: b\n', 'key-complex-scalar': '? a\n: b\n',
 'key-long-plain': 'this is a long key with spaces: 1\n', 'key-unicode': 'ключ: значение\n', 'key-dots': 'app.kubernetes.io/name: web\n',
 'key-big-uint': '18446744073709551615: a\n',
}
for n, t in keys.items():
    add(n, t)

# documents
docs = {
 'docs-two': 'a: 1\n---\nb: 2\n', 'docs-leading-sep': '---\na: 1\n', 'docs-trailing-sep': 'a: 1\n---\n', 'docs-empty-middle': 'a: 1\n---\n---\nb: 2\n',
 'docs-comment-only': 'a: 1\n---\n# nothing\n---\nb: 2\n', 'docs-null-doc': 'a: 1\n---\n~\n---\nb: 2\n', 'docs-null-word': 'null\n---\na: 1\n',
 'docs-sep-comment': 'a: 1\n--- # next\nb: 2\n', 'docs-sep-trailing-space': 'a: 1\n---   \nb: 2\n', 'docs-sep-content': 'a: 1\n--- b: 2\n',
 'docs-sep-flow': '--- {a: 1}\n', 'docs-sep-dashes4': 'a: 1\n----\nb: 2\n', 'docs-sep-indented': 'a: 1\n ---\n', 'docs-end-marker': 'a: 1\n...\n',
 'docs-end-marker-then-doc': 'a: 1\n...\n---\nb: 2\n', 'docs-end-marker-then-content': 'a: 1\n...\nb: 2\n', 'docs-scalar': 'hello\n---\na: 1\n',
 'docs-list': '- 1\n- 2\n---\n[3]\n', 'docs-crlf': 'a: 1\r\n---\r\nb: yes\r\n', 'docs-no-final-newline': 'a: 1\n---\nb: 2',
 'docs-many': ''.join(f'---\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n' for i in range(20)), 'docs-empty-file': '', 'docs-only-sep': '---\n',
 'docs-only-comments': '# a\n# b\n', 'docs-whitespace': '   \n\n', 'docs-error-in-second': 'a: 1\n---\nb: [\n', 'docs-bom': '\ufeffa: 1\n',
 'docs-sep-in-block-scalar': 'a: |\n  x\n  ---\n  y\n', 'docs-sep-tab': 'a: 1\n---\t\nb: 2\n', 'docs-directive-only': '%YAML 1.1\n',
 'docs-json-stream': '{"a": 1}\n---\n{"b": 2}\n', 'docs-sep-hash-nospace': 'a: 1\n---#x\nb: 2\n',
 'docs-null-tilde-and-empty-first': '---\n---\n~\n---\nx: 1\n',
}
for n, t in docs.items():
    add(n, t)

# syntax errors
errs = {
 'err-unclosed-flow': 'a: [1, 2\n', 'err-unclosed-quote': 'a: "abc\n', 'err-bad-indent': 'a:\n  b: 1\n c: 2\n', 'err-tab-indent': 'a:\n\tb: 1\n',
 'err-colon-in-plain': 'a: b: c\n', 'err-undefined-tag-handle': 'a: !x!y 1\n', 'err-bad-escape': 'a: "\\q"\n', 'err-mapping-in-seq': '- a\nb: 1\n',
 'err-stray-flow-end': 'a: ]\n', 'err-anchor-no-node': 'a: &x\n', 'err-two-anchors': 'a: &x &y 1\n', 'err-control-char': 'a: "\x01"\n',
 'err-unicode-surrogate-escape': 'a: "\\ud800"\n', 'err-block-seq-in-map-value-same-line': 'a: - 1\n', 'err-reserved-at': 'a: @foo\n',
 'err-reserved-backtick': 'a: `foo`\n', 'err-percent-directive-in-doc': 'a: 1\n%YAML 1.1\n', 'err-duplicate-yaml-directive': '%YAML 1.1\n%YAML 1.1\n---\na: 1\n',
}
for n, t in errs.items():
    add(n, t)
# literal tabs and escapes that are fine
misc = {
 'flow-map-nested': '{a: {b: [1, {c: d}]}, e: []}\n', 'flow-trailing-comma': '{a: 1, b: 2,}\n', 'flow-seq-of-maps': '[{a: 1}, {b: 2}]\n',
 'flow-multiline': 'a: [1,\n  2,\n  3]\n', 'flow-single-pair': '[a: 1, b]\n', 'flow-empty-value': '{a: , b: 2}\n', 'flow-key-only': '{a, b}\n',
 'flow-quoted-keys': '{"a": 1, \'b\': 2}\n', 'flow-json-like': '{"a":1,"b":[true,false,null],"c":{"d":"e"}}\n',
 'seq-nested': '- - 1\n  - 2\n- - 3\n', 'seq-of-empty': '-\n-\n', 'map-empty-values': 'a:\nb:\nc: 1\n', 'indent-seq-in-map': 'a:\n- 1\n- 2\n',
 'comments-everywhere': '# top\na: 1 # trailing\n# between\nb: # after key\n  - x # item\n', 'hash-in-value': 'a: b#c\nb: "x # y"\nc: d # e\n',
 'colon-in-value': 'url: http://x:80/p\ntime: 12:30\n', 'long-string': 'a: ' + 'x' * 5000 + '\n', 'many-keys': ''.join(f'k{i}: {i}\n' for i in range(300)),
 'deep-nesting': 'a:\n' + ''.join('  ' * (i + 1) + f'b{i}:\n' for i in range(40)) + '  ' * 41 + 'leaf: 1\n',
 'deep-flow': '[' * 50 + '1' + ']' * 50 + '\n', 'unicode-values': 'ja: 日本語\nemoji: 😀\nrtl: שלום\ncombining: "e\u0301"\n',
 'unicode-escapes': 'a: "\\u263A \\U0001F600 \\x7e \\N \\_ \\L \\P"\n', 'nul-in-string': 'a: "x\\0y"\n', 'json-escapes': '{"a": "\\u00e9\\n\\t\\"\\\\"}\n',
 'single-quote-escapes': "a: 'don''t'\nb: '\\n is literal'\n", 'empty-flow': 'a: {}\nb: []\n', 'question-mark-plain': 'a: ?x\nb: -x\n',
 'leading-spaces-doc': '   a: 1\n   b: 2\n', 'tabs-after-value': 'a: 1\t\nb: 2\n', 'tab-in-flow': '{a:\t1}\n', 'windows-line-endings': 'a: 1\r\nb:\r\n  - x\r\n',
 'quoted-multiline-key': '"a\n b": 1\n', 'explicit-key-seq-value': '? a\n: - 1\n  - 2\n', 'null-in-seq': '- ~\n- null\n-\n- ""\n',
 'number-like-keys-sorted': '10: a\n9: b\n1.5: c\n1e7: d\n', 'bool-keys-on-off': 'on: push\noff: x\n', 'github-actions': 'on:\n  push:\n    branches: [main]\njobs: {}\n',
}
for n, t in misc.items():
    add(n, t)

# realistic Kubernetes manifests
k8s = {
'k8s-deployment': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels: {app: web, tier: frontend}
  annotations:
    deployment.kubernetes.io/revision: "3"
spec:
  replicas: 3
  revisionHistoryLimit: 010
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.25
          ports:
            - containerPort: 80
              protocol: TCP
          env:
            - name: DEBUG
              value: "false"
            - name: WORKERS
              value: "4"
          resources:
            limits: {cpu: 500m, memory: 128Mi}
            requests: {cpu: 0.1, memory: 64Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: 80}
            periodSeconds: 10
''',
'k8s-secret-stringdata': '''apiVersion: v1
kind: Secret
metadata:
  name: db-creds
  namespace: prod
type: Opaque
stringData:
  username: admin
  port: "5432"
  enabled: "yes"
data:
  password: ZXhhbXBsZQ==
''',
'k8s-configmap-typing-trap': '''apiVersion: v1
kind: ConfigMap
metadata:
  name: trap
data:
  country: NO
  enabled: on
  version: 1.10
  mode: 0644
''',
'k8s-configmap-multiline': '''apiVersion: v1
kind: ConfigMap
metadata:
  name: nginx-conf
data:
  nginx.conf: |
    server {
      listen 80;
      location / { return 200 "ok"; }
    }
  script.sh: |-
    #!/bin/sh
    echo "hi"
''',
'k8s-sealedsecret': '''apiVersion: sealsync.dev/v1
kind: SealedSecret
metadata: {name: db-creds, namespace: prod}
spec:
  scope: strict
  encryptedData:
    password: YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBhYmNkZWYK
  template:
    type: Opaque
    metadata: {labels: {app: db}}
''',
'k8s-service': '''apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
''',
'k8s-crd': '''apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer, minimum: 1, maximum: 1e3}
                ratio: {type: number, default: 0.5}
                tags: {type: array, items: {type: string}}
''',
'k8s-multi-bundle': '''---
apiVersion: v1
kind: Namespace
metadata:
  name: app
---
# the account
apiVersion: v1
kind: ServiceAccount
metadata:
  name: runner
  namespace: app
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: runner, namespace: app}
rules:
  - apiGroups: [""]
    resources: [pods, configmaps]
    verbs: [get, list, watch]
---
''',
'k8s-cronjob': '''apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: busybox
            args: [sh, -c, "date; echo done"]
''',
'k8s-ingress': '''apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /
    nginx.ingress.kubernetes.io/ssl-redirect: "false"
spec:
  ingressClassName: nginx
  tls:
  - hosts: [example.com]
    secretName: web-tls
  rules:
  - host: example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
''',
'k8s-json-deployment.json': '''{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {"name": "j", "labels": {"app": "j"}},
  "spec": {
    "replicas": 2,
    "selector": {"matchLabels": {"app": "j"}},
    "template": {
      "metadata": {"labels": {"app": "j"}},
      "spec": {"containers": [{"name": "c", "image": "busybox", "args": ["sleep", "3600"], "ratio": 1.5e2}]}
    }
  }
}
''',
'k8s-json-list.json': '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}]}\n',
'k8s-json-dup.json': '{"a": 1, "a": 2}\n',
'k8s-json-unicode.json': '{"a": "\\ud83d\\ude00", "b": "\\u0041"}\n',
'k8s-json-numbers.json': '{"a": 1, "b": -0, "c": 1.0, "d": 1e2, "e": 123456789012345678901, "f": 0.000001, "g": 1E-7}\n',
'k8s-helm-style': '''# Source: chart/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: "release-name-cm"
  labels:
    helm.sh/chart: "chart-0.1.0"
    app.kubernetes.io/managed-by: Helm
data:
  replicas: "3"
  enabled: "true"
---
# Source: chart/templates/empty.yaml
''',
'k8s-kustomize-patch': '''apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        env:
        - name: FEATURE
          value: on
''',
'k8s-pod-anchors': '''apiVersion: v1
kind: Pod
metadata:
  name: anchors
spec:
  containers:
  - &c
    name: a
    image: busybox
    resources: &r {limits: {cpu: 100m}}
  - <<: *c
    name: b
    resources: *r
''',
}
for n, t in k8s.items():
    if n.endswith('.json'):
        cases[n] = t
    else:
        add(n, t)

# documented limit: integers in Go's uint64 range
add('limit-uint64', 'a: 9223372036854775808\n')
add('limit-uint64-max', 'a: 18446744073709551615\n')
add('limit-uint64-hex', 'a: 0xFFFFFFFFFFFFFFFF\n')

for name, text in cases.items():
    fn = name if name.endswith('.json') else name + '.yaml'
    with open(os.path.join(out, fn), 'w', encoding='utf-8', newline='') as f:
        f.write(text)
extra = {
 'err-escaped-slash-after-unicode': 'ü: x\nb: "a\\/b"\n', 'escaped-slash-unicode-ok': 'ü: "é/x"\nb: "a\\\\/b"\n',
 'escaped-slash-bom': '\ufeffa: "x/\\/"\n', 'flow-question-in-value': '{a: b?c}\n', 'flow-question-quoted': '{a: "b?c"}\n',
 'flow-question-start': '[?x]\n', 'block-question-in-plain': 'a: b?c\nurl: http://x/?q=1\n', 'flow-colon-in-plain': '{a: b:c}\n',
 'flow-url': '[http://example.com/a]\n',
}
for name, text in extra.items():
    p = os.path.join(out, name + '.yaml')
    with open(p, 'w', encoding='utf-8', newline='') as f:
        f.write(text)

more = {
 'tag-timestamp-tab': 'a: !!timestamp 2001-01-\t01\n', 'tag-timestamp-feb29': 'a: !!timestamp 2004-02-29\n',
 'tag-timestamp-feb30': 'a: !!timestamp 2001-02-30\n', 'tag-timestamp-frac': 'a: !!timestamp 2001-12-14t21:59:43.10-05:00\n',
 'tag-timestamp-space': 'a: !!timestamp 2001-12-14 21:59:43.10\n', 'tag-timestamp-nozone': 'a: !!timestamp 2001-12-14T21:59:43\n',
 'tag-timestamp-dot-nodigit': 'a: !!timestamp 2001-12-14 21:59:43.\n', 'tag-timestamp-hour24': 'a: !!timestamp 2001-12-14 24:00:00\n',
 'bom-midline-in-value': 'a: x\ufeffy\n', 'bom-in-block-scalar': 'a: |\n  \ufeffx\n',
 'stricter-bom-inner-line': 'a: 1\n\ufeffb: 2\n', 'stricter-flow-colon-indicator': '{a:}\n', 'stricter-flow-colon-comma': '[a:, b]\n',
 'stricter-tag-flow-indicator': 'a: !x]y 1\n', 'stricter-tag-comma': '[!a:, b]\n', 'stricter-escaped-single-quote': 'v: "a\\\'b"\n', 'stricter-flow-colon-end': 'v: [a:]\n', 'stricter-tag-comma-plain': '[!a, b]\n',
 'tag-empty-in-flow-space': '[!a , b]\n', 'tag-empty-in-flow-map': '{a: !b , c: d}\n',
 'scalar-0b-signed-fallback': 'a: [0b+101, 0b-101, 0B+1, 0b+, -0b+1, 0b+1_0, 0b-1111111111111111111111111111111111111111111111111111111111111111]\n',
 'limit-uint64-binary': 'a: 0b1111111111111111111111111111111111111111111111111111111111111111\n',
}
for name, text in more.items():
    with open(os.path.join(out, name + '.yaml'), 'w', encoding='utf-8', newline='') as f:
        f.write(text)

print(len([f for f in os.listdir(out) if f.endswith(('.yaml', '.json'))]), 'cases in', out)
