# fish completion for `git-gto`; fish's completion of git forwards `git gto ...` here.
# The words are completed by git-gto itself, through click's completion protocol.

function __git_gto_complete
    set -l response (env _GIT_GTO_COMPLETE=fish_complete COMP_WORDS=(commandline -cp | string collect) \
        COMP_CWORD=(commandline -ct | string collect) git-gto 2>/dev/null)
    for line in $response
        set -l item (string split -m 1 , -- $line)
        switch $item[1]
            case plain
                printf '%s\n' $item[2]
            case dir
                __fish_complete_directories $item[2]
            case file
                __fish_complete_path $item[2]
        end
    end
end

complete -c git-gto -f -a '(__git_gto_complete)'
