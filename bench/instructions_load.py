# instructions_load.py BASE SCENARIO N KEY COOKIE: N sequential requests on one
# keep-alive connection, for bench/instructions.sh; exits 1 on a non-2xx.
import http.client, sys, urllib.parse, json, random
base, scen, n, key, cookie = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port)
tag = random.randrange(10**9)
for i in range(n):
    if scen == "members":
        c.request("GET", "/api/v1/members?limit=100", headers={"Authorization": "Bearer " + key})
    elif scen == "me":
        c.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + key})
    elif scen == "team":
        c.request("GET", "/team", headers={"Cookie": "muster_session=" + cookie})
    elif scen == "invite":
        body = json.dumps({"first_name": "B", "last_name": "T", "email": f"p{tag}-{i}@example.com"})
        c.request("POST", "/api/v1/invitations", body=body, headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status // 100 != 2:
        print(scen, "status", r.status, file=sys.stderr); sys.exit(1)
