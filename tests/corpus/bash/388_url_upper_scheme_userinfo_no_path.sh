curl 'HTTP://deploy:s3cr3t@ECHO?source=ci#top'
