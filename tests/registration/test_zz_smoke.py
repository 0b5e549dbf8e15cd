import requests
def test_smoke(console_tool, sandbox):
    r = requests.get(console_tool.base_url + "/lti/config/canvas.json", timeout=5)
    print(r.status_code, r.text[:300])
    r = requests.get(console_tool.base_url + "/lti/setup", timeout=5)
    print(r.status_code, len(r.text))
    r = requests.get(console_tool.base_url + "/admin/", timeout=5)
    print(r.status_code, r.url)
    tok = sandbox.driver("moodle").registration_token()
    r = requests.get(console_tool.base_url + "/lti/register", params=tok, timeout=10)
    print(r.status_code, r.text[:3000])
