"""SQS SendMessageBatch over the AWS JSON 1.0 protocol, signed with botocore's SigV4 signer.

Debian 12's python3-botocore (1.29) speaks only SQS's older query protocol; AWS serves both, and
the project's local SQS server (fauxqs) only the JSON one. So the driver builds the JSON request
itself (`X-Amz-Target: AmazonSQS.SendMessageBatch`) and lets botocore sign it and resolve the
credentials (environment, shared files, instance profile): one code path for AWS and local.
"""
import json
import urllib.error
import urllib.request

from botocore import auth as botocore_auth
from botocore import awsrequest
from botocore import credentials as botocore_credentials
from botocore import session as botocore_session

MAX_BATCH = 10  # SendMessageBatch takes at most 10 entries


class SqsError(Exception):
    """A send failed; the journal rows stay pending and the worker retries them."""


class SqsJsonClient(object):
    def __init__(self, region, endpoint_url=None, access_key=None,
                 secret_key=None, session_token=None, timeout=10):
        self.region = region
        self.endpoint = (endpoint_url or
                         'https://sqs.%s.amazonaws.com' % region).rstrip('/')
        if access_key and secret_key:
            self._credentials = botocore_credentials.Credentials(
                access_key, secret_key, session_token)
        else:
            self._credentials = None
        self.timeout = timeout

    def _creds(self):
        if self._credentials is None:
            found = botocore_session.Session().get_credentials()
            if found is None:
                raise SqsError('no AWS credentials: set [l2pop_controller] '
                               'access_key/secret_key or the standard AWS '
                               'credential chain')
            return found.get_frozen_credentials()
        return self._credentials

    def call(self, action, payload):
        body = json.dumps(payload).encode('utf-8')
        request = awsrequest.AWSRequest(
            method='POST', url=self.endpoint + '/', data=body,
            headers={'Content-Type': 'application/x-amz-json-1.0',
                     'X-Amz-Target': 'AmazonSQS.' + action})
        botocore_auth.SigV4Auth(self._creds(), 'sqs',
                                self.region).add_auth(request)
        prepared = request.prepare()
        http = urllib.request.Request(prepared.url, data=body, method='POST',
                                      headers=dict(prepared.headers.items()))
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as res:
                text = res.read().decode('utf-8')
        except urllib.error.HTTPError as e:
            detail = e.read().decode('utf-8', 'replace')[:500]
            raise SqsError('%s: HTTP %s: %s' % (action, e.code, detail))
        except (urllib.error.URLError, OSError) as e:
            raise SqsError('%s: %s' % (action, e))
        return json.loads(text) if text else {}

    def send_batch(self, queue_url, entries):
        """entries: [{'body', 'group', 'dedup'}...], at most 10; all or an error."""
        if not entries:
            return
        if len(entries) > MAX_BATCH:
            raise ValueError('at most %d entries per batch' % MAX_BATCH)
        res = self.call('SendMessageBatch', {
            'QueueUrl': queue_url,
            'Entries': [{'Id': str(i), 'MessageBody': e['body'],
                         'MessageGroupId': e['group'],
                         'MessageDeduplicationId': e['dedup']}
                        for i, e in enumerate(entries)]})
        failed = res.get('Failed') or []
        if failed:
            f = failed[0]
            raise SqsError('SendMessageBatch to %s: %s: %s' % (
                queue_url, f.get('Code'), f.get('Message')))
