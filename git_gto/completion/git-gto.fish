# fish completion for `git-gto` and `git gto`. The words are completed by git-gto itself
# (one `TYPE<TAB>VALUE<TAB>HELP` line a candidate).

function __git_gto_complete
    set -l words (commandline -opc)
    # `git [options] gto ...`: complete as `git-gto ...`
    if test "$words[1]" = git; and set -l at (contains -i -- gto $words)
        set words git-gto $words[(math $at + 1)..-1]
    end
    set -l current (commandline -ct)
    set -l response (env _GIT_GTO_COMPLETE=gto_complete COMP_WORDS="$words $current" \
        COMP_CWORD=(count $words) git-gto 2>/dev/null)
    for line in $response
        set -l item (string split \t -- $line)
        switch $item[1]
            case plain
                if test -n "$item[3]"
                    printf '%s\t%s\n' $item[2] $item[3]
                else
                    printf '%s\n' $item[2]
                end
            case dir
                __fish_complete_directories $current
            case file
                __fish_complete_path $current
        end
    end
end

complete -c git-gto -f -a '(__git_gto_complete)'
