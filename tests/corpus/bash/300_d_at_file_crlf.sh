curl -u 'cli-42:cl13nt-s3cr3t' -d @files/crlf_form.txt http://ECHO/oauth/token
